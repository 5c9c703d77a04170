import ModelSealCore

/// The layout of a Fernet token (https://github.com/fernet/spec), as the article's
/// `save_encrypted_model` writes it with `cryptography`'s `Fernet.encrypt`.
///
/// Decoded bytes:
///
/// | offset | length | field |
/// |---|---|---|
/// | 0 | 1 | version, 0x80 |
/// | 1 | 8 | timestamp, seconds since 1970, big-endian (not checked: the article sets no TTL) |
/// | 9 | 16 | AES-128-CBC IV |
/// | 25 | 16·k, k ≥ 1 | ciphertext of the PKCS#7-padded plaintext |
/// | end − 32 | 32 | HMAC-SHA256 (signing key) over everything before it |
///
/// The file is the base64url text (alphabet `A–Z a–z 0–9 - _`) of those bytes with `=` padding,
/// no line breaks. Accepted: exactly that, optionally followed by one `\n`. Refused: whitespace,
/// standard-base64 `+` `/`, missing padding, stray bits in the last character (one text per token).
public enum FernetToken {
    /// The only version byte.
    public static let version: UInt8 = 0x80
    /// Version, timestamp and IV.
    static let headerLength = 25
    /// Offset of the IV.
    static let ivOffset = 9
    /// AES block.
    static let blockLength = 16
    /// HMAC-SHA256 tag.
    static let hmacLength = 32
    /// Smallest token: header, one block, tag.
    static let minimumLength = headerLength + blockLength + hmacLength
    /// Largest token text accepted (4 TiB): keeps every offset far from overflow.
    public static let maximumTextLength = 1 << 42
    /// Bytes `looksLikeToken` needs.
    public static let sniffLength = 4

    /// True when `prefix` begins like a token: four base64url characters decoding to 0x80 first.
    ///
    /// 0x80 encodes as `g` followed by a character from `A` to `P` (its low two bits are zero);
    /// today's timestamps make every token start `gAAAAA`. A ModelSeal file starts with 0x89.
    public static func looksLikeToken(_ prefix: some Collection<UInt8>) -> Bool {
        let bytes = Array(prefix.prefix(sniffLength))
        guard bytes.count == sniffLength, bytes[0] == UInt8(ascii: "g"),
            (UInt8(ascii: "A")...UInt8(ascii: "P")).contains(bytes[1])
        else { return false }
        return Base64.isCharacter(bytes[2], of: .urlSafe) && Base64.isCharacter(bytes[3], of: .urlSafe)
    }

    /// True when the source begins like a token (reads its first bytes).
    public static func looksLikeToken(_ source: ByteSource) throws(IOError) -> Bool {
        guard source.size >= sniffLength else { return false }
        return looksLikeToken(try source.read(at: 0, count: sniffLength))
    }
}

/// Where the parts of one token lie, from the text length and the last group alone.
struct FernetLayout: Sendable, Equatable {
    /// Characters of base64url text (without the trailing newline).
    let textLength: Int
    /// Decoded bytes.
    let decodedLength: Int

    /// Decoded bytes covered by the HMAC: everything but the tag.
    var authenticatedLength: Int { decodedLength - FernetToken.hmacLength }
    /// Ciphertext bytes (a multiple of 16).
    var ciphertextLength: Int { authenticatedLength - FernetToken.headerLength }

    /// Reads the size and the last characters of `source`; checks lengths before anything is hashed.
    init(_ source: ByteSource) throws(FernetError) {
        var length = source.size
        guard length <= FernetToken.maximumTextLength else { throw .tooLarge(length) }
        let last = try Self.read(source, at: max(0, length - 1), count: min(1, length))
        if last == [0x0A] { length -= 1 }
        if length > 0, let end = try Self.read(source, at: length - 1, count: 1).first,
            [0x0A, 0x0D, 0x20, 0x09].contains(end)
        {
            throw .malformedText(
                offset: length - 1, reason: "whitespace after the token (one trailing \\n is accepted, nothing more)")
        }
        guard length % 4 == 0 else {
            throw .truncated(
                "\(length) characters is not a multiple of 4 (a cut-off token, or base64 without its '=' padding)")
        }
        guard length >= 4 else { throw .truncated("\(length) characters") }
        let group = try Self.read(source, at: length - 4, count: 4)
        let padding = group[3] == UInt8(ascii: "=") ? (group[2] == UInt8(ascii: "=") ? 2 : 1) : 0
        let decoded = length / 4 * 3 - padding
        guard decoded >= FernetToken.minimumLength else {
            throw .truncated("\(decoded) bytes, a token has at least \(FernetToken.minimumLength)")
        }
        guard (decoded - FernetToken.headerLength - FernetToken.hmacLength) % FernetToken.blockLength == 0 else {
            throw .truncated(
                "\(decoded) bytes is not 57 plus a multiple of 16: bytes are missing (or were added)")
        }
        textLength = length
        decodedLength = decoded
    }

    static func read(_ source: ByteSource, at offset: Int, count: Int) throws(FernetError) -> [UInt8] {
        do {
            return try source.read(at: offset, count: count)
        } catch {
            throw .inputFailed(error.description)
        }
    }
}
