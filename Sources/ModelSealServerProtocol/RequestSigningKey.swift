import Crypto
import FoundationEssentials

/// The algorithm of a machine's request-signing key (`signing_algorithm` at activation, docs/SERVER.md
/// §Protocol). Never the machine key itself: a KEM key does not sign, and neither is derived from the other.
public enum RequestSigningAlgorithm: String, Sendable, CaseIterable {
    /// Ed25519, a software key sealed to the machine key: 32-byte public key, 64-byte signature.
    case ed25519
    /// ECDSA P-256 with SHA-256, a signing key in the TPM (`modelseal activate --tpm`): 65-byte uncompressed
    /// public key, signature `r || s` (64 bytes).
    case ecdsaP256 = "ecdsa-p256"
}

/// A public request-signing key as the server keeps it.
public enum RequestVerifyingKey: Sendable {
    case ed25519(Curve25519.Signing.PublicKey)
    case ecdsaP256(P256.Signing.PublicKey)

    /// The key of `algorithm` from its registered bytes (raw Ed25519, or SEC1 uncompressed P-256); nil when they
    /// are not a valid key of that algorithm.
    public init?(_ algorithm: RequestSigningAlgorithm, bytes: [UInt8]) {
        switch algorithm {
        case .ed25519:
            guard bytes.count == 32, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: bytes) else {
                return nil
            }
            self = .ed25519(key)
        case .ecdsaP256:
            guard bytes.count == 65, let key = try? P256.Signing.PublicKey(x963Representation: bytes) else {
                return nil
            }
            self = .ecdsaP256(key)
        }
    }

    /// Whether `signature` (64 bytes) signs `message`.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        switch self {
        case .ed25519(let key): return key.isValidSignature(signature, for: message)
        case .ecdsaP256(let key):
            guard let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: message)
        }
    }
}

/// A private request-signing key: a software Ed25519 key, or a key that stays in a TPM (the client module's
/// `TPMRequestSigner`).
public protocol RequestSigningKey: Sendable {
    var algorithm: RequestSigningAlgorithm { get }
    /// The 64-byte signature of `message`.
    func signature(for message: [UInt8]) throws -> [UInt8]
}

extension Curve25519.Signing.PrivateKey: RequestSigningKey {
    public var algorithm: RequestSigningAlgorithm { .ed25519 }
    public func signature(for message: [UInt8]) throws -> [UInt8] { Array(try signature(for: Data(message))) }
}
