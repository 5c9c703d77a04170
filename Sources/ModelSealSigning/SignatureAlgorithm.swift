/// The signature algorithms ModelSeal signs and verifies with (spec/SIGNATURES.md).
///
/// The byte values are the trailer's algorithm field; the hash is fixed per algorithm so a
/// signature can never be checked under another hash.
public enum SignatureAlgorithm: UInt8, CaseIterable, Sendable, CustomStringConvertible {
    /// Ed25519 (RFC 8032, pure: the message itself is signed). The default.
    case ed25519 = 1
    /// ECDSA over P-256 with SHA-256, DER-encoded signature.
    case ecdsaP256SHA256 = 2
    /// ECDSA over P-384 with SHA-384, DER-encoded signature.
    case ecdsaP384SHA384 = 3
    /// ECDSA over P-521 with SHA-512, DER-encoded signature.
    case ecdsaP521SHA512 = 4
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256, salt length 32; 2048–4096-bit keys.
    case rsaPSSSHA256 = 5
    /// RSASSA-PKCS1-v1_5 with SHA-256 (the article's choice); 2048–4096-bit keys.
    case rsaPKCS1v15SHA256 = 6

    /// The name used by `--alg` and shown by `verify`.
    public var description: String {
        switch self {
        case .ed25519: "ed25519"
        case .ecdsaP256SHA256: "ecdsa-p256"
        case .ecdsaP384SHA384: "ecdsa-p384"
        case .ecdsaP521SHA512: "ecdsa-p521"
        case .rsaPSSSHA256: "rsa-pss"
        case .rsaPKCS1v15SHA256: "rsa-pkcs1v15"
        }
    }

    /// Parses an `--alg` name.
    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.description == name.lowercased() }) else { return nil }
        self = match
    }
}
