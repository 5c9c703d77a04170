import ContainerEngine
import ModelSealCore

/// The text form of a raw 32-byte key: base64url, exactly what `Fernet.generate_key()` prints.
///
/// Rules (spec/CONTAINER.md §7): 43 characters, or 44 ending in one `=`; surrounding ASCII whitespace is
/// ignored; nothing inside; the last character's unused bits must be zero so every key has one
/// text form.
public enum RawKeyText {
    private static let whitespace: Set<UInt8> = [0x20, 0x09, 0x0D, 0x0A]

    /// Canonical padded text of a key (44 characters).
    public static func encode(_ key: RawKey) -> String {
        Base64.encode(key.bytes, alphabet: .urlSafe)
    }

    /// Parses key text strictly.
    public static func decode(_ text: some Collection<UInt8>) throws(KeyError) -> RawKey {
        var bytes = Array(text)
        while let last = bytes.last, whitespace.contains(last) { bytes.removeLast() }
        while let first = bytes.first, whitespace.contains(first) { bytes.removeFirst() }
        guard bytes.count == 43 || (bytes.count == 44 && bytes.last == UInt8(ascii: "=")) else {
            throw .malformedRawKey("\(bytes.count) characters after trimming, expected 43 or 44")
        }
        let key: [UInt8]
        do throws(Base64.DecodingError) {
            key = try Base64.decodeChecked(bytes, alphabet: .urlSafe, padding: .optional)
        } catch {
            if error.reason.hasPrefix("'+' or '/'") {
                throw .malformedRawKey("contains '+' or '/': that is standard base64; use base64url ('-' and '_')")
            }
            if error.reason.hasPrefix("stray bits") {
                throw .malformedRawKey("non-canonical: the last character has stray bits")
            }
            throw .malformedRawKey("not base64url: \(error.reason) at character \(error.offset)")
        }
        do {
            return try RawKey(bytes: key)
        } catch {
            throw .malformedRawKey("decodes to \(key.count) bytes, expected 32")
        }
    }
}
