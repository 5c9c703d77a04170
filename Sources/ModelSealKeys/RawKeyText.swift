import ContainerEngine

/// The text form of a raw 32-byte key: base64url, exactly what `Fernet.generate_key()` prints.
///
/// Rules (spec/CONTAINER.md §7): 43 characters, or 44 ending in one `=`; surrounding ASCII whitespace is
/// ignored; nothing inside; the last character's unused bits must be zero so every key has one
/// text form.
public enum RawKeyText {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let whitespace: Set<UInt8> = [0x20, 0x09, 0x0D, 0x0A]

    /// Canonical padded text of a key (44 characters).
    public static func encode(_ key: RawKey) -> String {
        let bytes = key.bytes
        var output: [UInt8] = []
        var index = 0
        while index + 3 <= bytes.count {
            let group = Int(bytes[index]) << 16 | Int(bytes[index + 1]) << 8 | Int(bytes[index + 2])
            output += [18, 12, 6, 0].map { alphabet[(group >> $0) & 63] }
            index += 3
        }
        // 32 = 30 + 2: the last group has two bytes, three characters and one '='.
        let group = Int(bytes[30]) << 16 | Int(bytes[31]) << 8
        output += [18, 12, 6].map { alphabet[(group >> $0) & 63] } + [UInt8(ascii: "=")]
        return String(decoding: output, as: UTF8.self)
    }

    /// Parses key text strictly.
    public static func decode(_ text: some Collection<UInt8>) throws(KeyError) -> RawKey {
        var bytes = Array(text)
        while let last = bytes.last, whitespace.contains(last) { bytes.removeLast() }
        while let first = bytes.first, whitespace.contains(first) { bytes.removeFirst() }
        if bytes.count == 44, bytes.last == UInt8(ascii: "=") { bytes.removeLast() }
        guard bytes.count == 43 else {
            throw .malformedRawKey("\(bytes.count) characters after trimming, expected 43 or 44")
        }
        var values: [Int] = []
        for character in bytes {
            guard let value = alphabet.firstIndex(of: character) else {
                if character == UInt8(ascii: "+") || character == UInt8(ascii: "/") {
                    throw .malformedRawKey("contains '+' or '/': that is standard base64; use base64url ('-' and '_')")
                }
                throw .malformedRawKey("contains a character outside base64url")
            }
            values.append(value)
        }
        guard values[42] & 0b11 == 0 else { throw .malformedRawKey("non-canonical: the last character has stray bits") }
        var key: [UInt8] = []
        var accumulator = 0
        var bits = 0
        for value in values {
            accumulator = (accumulator << 6) | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                key.append(UInt8((accumulator >> bits) & 0xFF))
            }
        }
        do {
            return try RawKey(bytes: key)
        } catch {
            throw .malformedRawKey("decodes to \(key.count) bytes, expected 32")
        }
    }
}
