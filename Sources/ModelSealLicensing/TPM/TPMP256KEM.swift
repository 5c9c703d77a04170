import Crypto
import FoundationEssentials

/// HPKE's DHKEM(P-256, HKDF-SHA256) (RFC 9180 §4.1) with the recipient's private key inside a TPM.
///
/// swift-crypto cannot take a TPM key as a Diffie–Hellman key (its `SharedSecret` initialiser is
/// internal), so this private key conforms to `HPKEKEMPrivateKey` itself: `decapsulate` asks the TPM
/// for the x-coordinate of `sk·pkE` (`TPM2_ECDH_ZGen`) and runs the DHKEM key derivation over it.
/// `HPKE.Recipient(privateKey:ciphersuite:info:encapsulatedKey:)` then opens as with any key; the
/// sender side needs only the public key and runs in software (`TPMP256KEMPublicKey`).
public struct TPMP256KEMPrivateKey: HPKEKEMPrivateKey {
    public typealias PublicKey = TPMP256KEMPublicKey

    /// The key's public half.
    public let publicKey: TPMP256KEMPublicKey
    /// `sk·P` as x-coordinate: `TPM2_ECDH_ZGen` with the key loaded in the TPM.
    let zGen: @Sendable ([UInt8]) throws -> [UInt8]

    init(publicKey: TPMP256KEMPublicKey, zGen: @escaping @Sendable ([UInt8]) throws -> [UInt8]) {
        self.publicKey = publicKey
        self.zGen = zGen
    }

    /// TPM keys are made by the TPM (`TPMConnection.createMachineKey`), never generated here.
    public static func generate() throws -> TPMP256KEMPrivateKey {
        throw TPMError.unavailable("keys are made in a TPM")
    }

    public func decapsulate(_ encapsulated: Data) throws -> SymmetricKey {
        let enc = Array(encapsulated)
        // Validates the point (on the curve, uncompressed) before it goes to the TPM.
        _ = try P256.KeyAgreement.PublicKey(x963Representation: enc)
        let dh = try zGen(enc)
        return DHKEMP256.sharedSecret(dh: dh, enc: enc, recipient: publicKey.x963)
    }
}

/// The public half of a TPM-held P-256 KEM key: what a vendor encapsulates to, in software.
public struct TPMP256KEMPublicKey: HPKEKEMPublicKey {
    public typealias EphemeralPrivateKey = SoftwareP256KEMPrivateKey

    /// `04 || x || y`.
    let x963: [UInt8]

    /// A public key from its 65-byte uncompressed encoding.
    public init<D: ContiguousBytes>(_ serialization: D, kem: HPKE.KEM) throws {
        guard kem == .P256_HKDF_SHA256 else { throw HPKE.Errors.inconsistentParameters }
        let bytes = serialization.withUnsafeBytes { Array($0) }
        x963 = Array(try P256.KeyAgreement.PublicKey(x963Representation: bytes).x963Representation)
    }

    public func hpkeRepresentation(kem: HPKE.KEM) throws -> Data {
        guard kem == .P256_HKDF_SHA256 else { throw HPKE.Errors.inconsistentParameters }
        return Data(x963)
    }

    public func encapsulate() throws -> KEM.EncapsulationResult {
        let ephemeral = P256.KeyAgreement.PrivateKey()
        let shared = try ephemeral.sharedSecretFromKeyAgreement(
            with: try P256.KeyAgreement.PublicKey(x963Representation: x963))
        let enc = Array(ephemeral.publicKey.x963Representation)
        let dh = shared.withUnsafeBytes { Array($0) }
        return KEM.EncapsulationResult(
            sharedSecret: DHKEMP256.sharedSecret(dh: dh, enc: enc, recipient: x963), encapsulated: Data(enc))
    }
}

/// A software P-256 KEM key: the ephemeral key type HPKE's sender side names for `TPMP256KEMPublicKey`.
public struct SoftwareP256KEMPrivateKey: HPKEKEMPrivateKeyGeneration {
    public typealias PublicKey = TPMP256KEMPublicKey
    let key: P256.KeyAgreement.PrivateKey

    public init() throws { key = P256.KeyAgreement.PrivateKey() }
    public static func generate() throws -> SoftwareP256KEMPrivateKey { try SoftwareP256KEMPrivateKey() }

    public var publicKey: TPMP256KEMPublicKey {
        // A key swift-crypto made is always a valid point.
        (try? TPMP256KEMPublicKey(key.publicKey.x963Representation, kem: .P256_HKDF_SHA256))
            ?? TPMP256KEMPublicKey(unchecked: [])
    }

    public func decapsulate(_ encapsulated: Data) throws -> SymmetricKey {
        let shared = try key.sharedSecretFromKeyAgreement(
            with: P256.KeyAgreement.PublicKey(x963Representation: encapsulated))
        return DHKEMP256.sharedSecret(
            dh: shared.withUnsafeBytes { Array($0) }, enc: Array(encapsulated),
            recipient: Array(key.publicKey.x963Representation))
    }
}

extension TPMP256KEMPublicKey {
    init(unchecked x963: [UInt8]) { self.x963 = x963 }
}

/// RFC 9180 §4.1 `ExtractAndExpand` for DHKEM(P-256, HKDF-SHA256): suite id `"KEM" || 0x0010`.
enum DHKEMP256 {
    static let suiteID = Array("KEM".utf8) + [0x00, 0x10]

    static func sharedSecret(dh: [UInt8], enc: [UInt8], recipient: [UInt8]) -> SymmetricKey {
        let label = Array("HPKE-v1".utf8)
        let prk = HKDF<SHA256>.extract(
            inputKeyMaterial: SymmetricKey(data: label + suiteID + Array("eae_prk".utf8) + dh), salt: [UInt8]())
        let info = [0x00, 0x20] + label + suiteID + Array("shared_secret".utf8) + enc + recipient
        return HKDF<SHA256>.expand(pseudoRandomKey: prk, info: info, outputByteCount: 32)
    }
}
