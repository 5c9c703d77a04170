import Crypto
import FoundationEssentials
import ModelSealCore
import _CryptoExtras

/// A public key that verifies signatures: Ed25519, ECDSA P-256/P-384/P-521 or RSA 2048–4096.
public enum VerifyingKey: Sendable {
    case ed25519(Curve25519.Signing.PublicKey)
    case p256(P256.Signing.PublicKey)
    case p384(P384.Signing.PublicKey)
    case p521(P521.Signing.PublicKey)
    case rsa(_RSA.Signing.PublicKey)

    /// Accepted RSA modulus sizes.
    public static let rsaBits = 2048...4096

    /// SubjectPublicKeyInfo DER: the form the key id is computed over and the trailer carries.
    public var spkiDER: [UInt8] {
        switch self {
        case .ed25519(let key): Array(key.derRepresentation)
        case .p256(let key): Array(key.derRepresentation)
        case .p384(let key): Array(key.derRepresentation)
        case .p521(let key): Array(key.derRepresentation)
        case .rsa(let key): Array(key.derRepresentation)
        }
    }

    /// `-----BEGIN PUBLIC KEY-----` text.
    public var pem: String { PEM.encode(label: "PUBLIC KEY", der: spkiDER) }

    /// SHA-256 of the SubjectPublicKeyInfo DER.
    public var keyID: [UInt8] { Array(SHA256.hash(data: spkiDER)) }

    /// `SHA256:` and the unpadded base64 of the key id: what customers compare out of band.
    public var fingerprint: String { "SHA256:" + Base64.encode(keyID, padded: false) }

    /// A short name of the key type.
    public var typeName: String {
        switch self {
        case .ed25519: "Ed25519"
        case .p256: "ECDSA P-256"
        case .p384: "ECDSA P-384"
        case .p521: "ECDSA P-521"
        case .rsa(let key): "RSA-\(key.keySizeInBits)"
        }
    }

    /// The algorithm used when none is named.
    public var defaultAlgorithm: SignatureAlgorithm {
        switch self {
        case .ed25519: .ed25519
        case .p256: .ecdsaP256SHA256
        case .p384: .ecdsaP384SHA384
        case .p521: .ecdsaP521SHA512
        case .rsa: .rsaPSSSHA256
        }
    }

    /// True when `algorithm` is defined for this key type.
    public func supports(_ algorithm: SignatureAlgorithm) -> Bool {
        switch (self, algorithm) {
        case (.ed25519, .ed25519), (.p256, .ecdsaP256SHA256), (.p384, .ecdsaP384SHA384), (.p521, .ecdsaP521SHA512),
            (.rsa, .rsaPSSSHA256), (.rsa, .rsaPKCS1v15SHA256):
            true
        default:
            false
        }
    }

    /// Verifies `signature` over `message` with `algorithm`; false for any mismatch or malformed signature.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8], algorithm: SignatureAlgorithm) -> Bool {
        guard supports(algorithm) else { return false }
        switch self {
        case .ed25519(let key):
            return key.isValidSignature(signature, for: message)
        case .p256(let key):
            guard let parsed = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: message)
        case .p384(let key):
            guard let parsed = try? P384.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: message)
        case .p521(let key):
            guard let parsed = try? P521.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: message)
        case .rsa:
            return isValidSignature(signature, forDigest: SHA256.hash(data: message), algorithm: algorithm)
        }
    }

    /// Verifies `signature` over a SHA-256 `digest` computed by the caller (a streamed file).
    ///
    /// Only the SHA-256 algorithms that sign a digest can: RSA PKCS#1 v1.5, RSA-PSS, ECDSA P-256.
    /// False for any other key or algorithm, a mismatch, or a malformed signature.
    public func isValidSignature(_ signature: [UInt8], forDigest digest: SHA256Digest, algorithm: SignatureAlgorithm)
        -> Bool
    {
        guard supports(algorithm) else { return false }
        switch self {
        case .rsa(let key):
            guard signature.count * 8 == key.keySizeInBits else { return false }
            let parsed = _RSA.Signing.RSASignature(rawRepresentation: signature)
            return key.isValidSignature(
                parsed, for: digest, padding: algorithm == .rsaPKCS1v15SHA256 ? .insecurePKCS1v1_5 : .PSS)
        case .p256(let key):
            guard let parsed = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: digest)
        case .ed25519, .p384, .p521:
            return false
        }
    }

    /// A key from SubjectPublicKeyInfo DER of any supported type.
    public init(spkiDER der: [UInt8]) throws(SigningError) {
        if let key = try? Curve25519.Signing.PublicKey(derRepresentation: der) {
            self = .ed25519(key)
        } else if let key = try? P256.Signing.PublicKey(derRepresentation: der) {
            self = .p256(key)
        } else if let key = try? P384.Signing.PublicKey(derRepresentation: der) {
            self = .p384(key)
        } else if let key = try? P521.Signing.PublicKey(derRepresentation: der) {
            self = .p521(key)
        } else if let key = try? _RSA.Signing.PublicKey(unsafeDERRepresentation: der) {
            guard Self.rsaBits.contains(key.keySizeInBits) else {
                throw .unsuitableKey("RSA-\(key.keySizeInBits): ModelSeal accepts RSA keys of 2048 to 4096 bits")
            }
            self = .rsa(key)
        } else {
            throw .unreadableKey("not an Ed25519, ECDSA P-256/P-384/P-521 or RSA public key")
        }
    }
}
