import Crypto
import FoundationEssentials
import _CryptoExtras

/// A private key that signs: Ed25519 (default), ECDSA P-256/P-384/P-521 or RSA 2048–4096, in memory or
/// held outside the process (a PKCS#11 token: `external`).
public enum SigningKey: Sendable {
    case ed25519(Curve25519.Signing.PrivateKey)
    case p256(P256.Signing.PrivateKey)
    case p384(P384.Signing.PrivateKey)
    case p521(P521.Signing.PrivateKey)
    case rsa(_RSA.Signing.PrivateKey)
    /// A key that never enters this process: it signs through `ExternalSigningKey`.
    case external(any ExternalSigningKey)

    /// A new key for `algorithm` (RSA: `rsaBits`, 3072 by default).
    public static func generate(_ algorithm: SignatureAlgorithm, rsaBits: Int = 3072) throws(SigningError) -> SigningKey
    {
        switch algorithm {
        case .ed25519: return .ed25519(.init())
        case .ecdsaP256SHA256: return .p256(.init())
        case .ecdsaP384SHA384: return .p384(.init())
        case .ecdsaP521SHA512: return .p521(.init())
        case .rsaPSSSHA256, .rsaPKCS1v15SHA256:
            guard VerifyingKey.rsaBits.contains(rsaBits), rsaBits % 1024 == 0 else {
                throw .unsuitableKey("RSA keys are 2048, 3072 or 4096 bits")
            }
            do {
                return .rsa(try _RSA.Signing.PrivateKey(keySize: .init(bitCount: rsaBits)))
            } catch {
                throw .unsuitableKey("cannot generate an RSA-\(rsaBits) key: \(error)")
            }
        }
    }

    /// The matching public key.
    public var verifyingKey: VerifyingKey {
        switch self {
        case .ed25519(let key): .ed25519(key.publicKey)
        case .p256(let key): .p256(key.publicKey)
        case .p384(let key): .p384(key.publicKey)
        case .p521(let key): .p521(key.publicKey)
        case .rsa(let key): .rsa(key.publicKey)
        case .external(let key): key.verifyingKey
        }
    }

    /// PKCS#8 `PrivateKeyInfo` DER; `nil` for an external key, whose private half cannot be read.
    public var pkcs8DER: [UInt8]? {
        switch self {
        case .ed25519(let key): Array(key.derRepresentation)
        case .p256(let key): Array(key.derRepresentation)
        case .p384(let key): Array(key.derRepresentation)
        case .p521(let key): Array(key.derRepresentation)
        case .rsa(let key): Array(key.pkcs8DERRepresentation)
        case .external: nil
        }
    }

    /// Signs `message` with `algorithm`, which must suit the key type.
    public func signature(for message: [UInt8], algorithm: SignatureAlgorithm) throws(SigningError) -> [UInt8] {
        guard verifyingKey.supports(algorithm) else {
            throw .unsuitableKey("a \(verifyingKey.typeName) key cannot sign with \(algorithm)")
        }
        if case .external(let key) = self { return try key.signature(for: message, algorithm: algorithm) }
        do {
            switch self {
            case .ed25519(let key): return Array(try key.signature(for: message))
            case .p256(let key): return Array(try key.signature(for: message).derRepresentation)
            case .p384(let key): return Array(try key.signature(for: message).derRepresentation)
            case .p521(let key): return Array(try key.signature(for: message).derRepresentation)
            case .rsa(let key):
                let padding: _RSA.Signing.Padding = algorithm == .rsaPKCS1v15SHA256 ? .insecurePKCS1v1_5 : .PSS
                return Array(try key.signature(for: SHA256.hash(data: message), padding: padding).rawRepresentation)
            case .external: throw SigningError.unsuitableKey("unreachable: external keys sign above")
            }
        } catch {
            throw .unsuitableKey("signing failed: \(error)")
        }
    }

    /// A key from unencrypted PKCS#8 `PrivateKeyInfo` DER (or PKCS#1/SEC1, which swift-crypto also reads).
    public init(pkcs8DER der: [UInt8]) throws(SigningError) {
        if let key = try? Curve25519.Signing.PrivateKey(derRepresentation: der) {
            self = .ed25519(key)
        } else if let key = try? P256.Signing.PrivateKey(derRepresentation: der) {
            self = .p256(key)
        } else if let key = try? P384.Signing.PrivateKey(derRepresentation: der) {
            self = .p384(key)
        } else if let key = try? P521.Signing.PrivateKey(derRepresentation: der) {
            self = .p521(key)
        } else if let key = try? _RSA.Signing.PrivateKey(unsafeDERRepresentation: der) {
            guard VerifyingKey.rsaBits.contains(key.keySizeInBits) else {
                throw .unsuitableKey("RSA-\(key.keySizeInBits): ModelSeal signs with RSA keys of 2048 to 4096 bits")
            }
            self = .rsa(key)
        } else {
            throw .unreadableKey("not an Ed25519, ECDSA P-256/P-384/P-521 or RSA private key")
        }
    }
}
