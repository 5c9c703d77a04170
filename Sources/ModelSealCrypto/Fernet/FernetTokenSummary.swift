/// What a Fernet token shows without its key (`modelseal inspect` on the article's `.enc` files).
///
/// Nothing here is authenticated: the HMAC that covers the timestamp needs the key, so a changed
/// timestamp or a cut token is only found by `modelseal open` / `migrate`.
public struct FernetTokenSummary: Sendable, Equatable {
    /// Characters of base64url text (the trailing newline not counted).
    public let textLength: Int
    /// AES-128-CBC ciphertext bytes, a multiple of 16.
    public let ciphertextLength: Int
    /// Seconds since 1970 as the encrypting side wrote them (unauthenticated).
    public let timestamp: UInt64

    /// The plaintext is 1 to 16 bytes shorter than its ciphertext (PKCS#7 padding).
    public var plaintextLengths: ClosedRange<Int> { (ciphertextLength - 16)...(ciphertextLength - 1) }
}

extension FernetToken {
    /// The token's layout and timestamp, from its length and first 12 characters.
    public static func summary(of source: RandomAccessByteSource) throws(FernetError) -> FernetTokenSummary {
        let layout = try FernetLayout(source)
        // 12 characters decode to the version byte and the 8-byte timestamp.
        let head = try Base64URL.decode(try FernetLayout.read(source, at: 0, count: 12), isFinal: false, offset: 0)
        guard head.first == version else { throw .unsupportedVersion(head.first ?? 0) }
        let timestamp = head[1..<9].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return FernetTokenSummary(
            textLength: layout.textLength, ciphertextLength: layout.ciphertextLength, timestamp: timestamp)
    }
}
