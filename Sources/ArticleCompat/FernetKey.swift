import Crypto

/// A Fernet key: 32 bytes, the first 16 the HMAC-SHA256 signing key, the last 16 the AES-128 key.
///
/// This is the article's `MODEL_KEY` used as Fernet defines it. ModelSeal's own format never uses
/// a raw key this way (it only wraps file keys through HKDF, spec/CONTAINER.md §3); see docs/ARTICLE.md
/// for why using the same 32 bytes in both ways is sound.
public struct FernetKey: Sendable {
    let signingKey: SymmetricKey
    let encryptionKey: SymmetricKey

    /// The key from its 32 bytes (`RawKey.bytes`, or the base64url-decoded `Fernet.generate_key()` text).
    public init(bytes: [UInt8]) throws(FernetError) {
        guard bytes.count == 32 else { throw .invalidKey("\(bytes.count) bytes, expected 32") }
        signingKey = SymmetricKey(data: bytes[0..<16])
        encryptionKey = SymmetricKey(data: bytes[16..<32])
    }
}
