import Crypto
import FoundationEssentials
import ModelSealLicensing

/// The HPKE KEM of a machine key registered with the key server (`machine_kem` at activation,
/// docs/SERVER.md §Protocol): what a release's file key is wrapped with. The suite is the licensing
/// module's (`MachineKEM`): one definition of each HPKE suite.
public enum ReleaseKEM: String, Sendable, CaseIterable {
    /// A software X25519 machine key (DHKEM(X25519, HKDF-SHA256)): 32-byte public key.
    case x25519
    /// A P-256 machine key (DHKEM(P-256, HKDF-SHA256)), made in a TPM by `modelseal activate --tpm`: 65-byte
    /// uncompressed public key. The server cannot tell where the private key lives (docs/SERVER.md §TPM).
    case p256

    /// Bytes of the public key and of the encapsulated key.
    public var publicKeyLength: Int { self == .x25519 ? 32 : 65 }

    /// HPKE's suite: the KEM, HKDF-SHA256, AES-256-GCM.
    public var suite: HPKE.Ciphersuite {
        self == .x25519 ? MachineKEM.x25519.suite : MachineKEM.p256TPM.suite
    }

    /// Whether `key` is a valid public key of this KEM (on the curve, canonical length).
    public func isValidPublicKey(_ key: [UInt8]) -> Bool {
        switch self {
        case .x25519: key.count == 32 && (try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: key)) != nil
        case .p256: key.count == 65 && (try? P256.KeyAgreement.PublicKey(x963Representation: key)) != nil
        }
    }

    /// HPKE base mode to `recipient`: `encapsulated key || ciphertext`.
    public func seal(_ secret: [UInt8], to recipient: [UInt8], info: [UInt8], authenticating: [UInt8]) throws
        -> [UInt8]
    {
        switch self {
        case .x25519:
            var sender = try HPKE.Sender(
                recipientKey: try Curve25519.KeyAgreement.PublicKey(rawRepresentation: recipient), ciphersuite: suite,
                info: Data(info))
            return Array(sender.encapsulatedKey) + Array(try sender.seal(Data(secret), authenticating: authenticating))
        case .p256:
            var sender = try HPKE.Sender(
                recipientKey: try P256.KeyAgreement.PublicKey(x963Representation: recipient), ciphersuite: suite,
                info: Data(info))
            return Array(sender.encapsulatedKey) + Array(try sender.seal(Data(secret), authenticating: authenticating))
        }
    }
}
