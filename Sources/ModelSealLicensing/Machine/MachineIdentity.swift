import ContainerFormat
import Crypto
import FoundationEssentials
import ModelSealCore

/// This machine's license key pair for one vendor, stored on the machine (spec/LICENSING.md §5).
///
/// `license request` makes an X25519 key pair; the private half is written only to
/// `<licensing dir>/<vendor>/machine.json`, encrypted under a key that a `ComponentLock`
/// releases only with `threshold` of the fingerprint components present at request time. A copy
/// of the file on another machine therefore does not open, and neither does a license issued to it.
public struct MachineIdentity: Sendable {
    static let fileName = "machine.json"
    static let label = "modelseal/v1 machine-key"

    /// Format version: 2 for keys made now, 1 for keys made before license v2 (still opened).
    public let version: Int
    /// Key id of the vendor this identity was made for.
    public let vendorKeyID: [UInt8]
    /// The public key licenses are wrapped to.
    public let publicKey: Curve25519.KeyAgreement.PublicKey
    /// Components covered, in order.
    public let componentNames: [String]
    let lock: ComponentLock
    let sealedPrivateKey: [UInt8]

    /// Makes a new identity for `fingerprint`, needing `threshold` of its components to open again.
    static func create(
        fingerprint: Fingerprint, vendorKeyID: [UInt8], threshold: Int
    ) throws(LicenseError) -> (MachineIdentity, Curve25519.KeyAgreement.PrivateKey) {
        let privateKey = Curve25519.KeyAgreement.PrivateKey()
        var secret = randomBytes(32)
        defer { SecretMemory.wipe(&secret) }
        let names = fingerprint.components.map(\.name)
        let publicKeys = fingerprint.components.map { fingerprint.privateKey(of: $0).publicKey }
        let lock = try ComponentLock.seal(
            secret, to: publicKeys, threshold: threshold, context: context(vendorKeyID: vendorKeyID))
        let sealed = try seal(privateKey, secret: secret, vendorKeyID: vendorKeyID)
        return (
            MachineIdentity(
                version: 2, vendorKeyID: vendorKeyID, publicKey: privateKey.publicKey, componentNames: names,
                lock: lock,
                sealedPrivateKey: sealed), privateKey
        )
    }

    /// The private key, when enough of this machine's components still match.
    func unlock(with fingerprint: Fingerprint) throws(LicenseError) -> Curve25519.KeyAgreement.PrivateKey {
        let (secret, opened) = lock.open(
            with: fingerprint.privateKeys(for: componentNames), context: Self.context(vendorKeyID: vendorKeyID))
        guard var secret else {
            throw .tooFewComponents(
                required: lock.threshold, matching: opened.filter { $0 }.count,
                differing: zip(componentNames, opened).filter { !$0.1 }.map(\.0))
        }
        defer { SecretMemory.wipe(&secret) }
        let key = wrapKey(secret: secret, vendorKeyID: vendorKeyID)
        guard
            let box = try? AES.GCM.SealedBox(
                nonce: AES.GCM.Nonce(data: [UInt8](repeating: 0, count: 12)), ciphertext: sealedPrivateKey.prefix(32),
                tag: sealedPrivateKey.suffix(16)),
            let raw = try? AES.GCM.open(box, using: key, authenticating: additionalData),
            let privateKey = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw),
            privateKey.publicKey.rawRepresentation == publicKey.rawRepresentation
        else { throw .malformed("machine key file", "the sealed private key does not open: the file was edited") }
        return privateKey
    }

    private var additionalData: [UInt8] { Array(Self.label.utf8) + vendorKeyID + Array(publicKey.rawRepresentation) }

    private static func seal(
        _ privateKey: Curve25519.KeyAgreement.PrivateKey, secret: [UInt8], vendorKeyID: [UInt8]
    ) throws(LicenseError) -> [UInt8] {
        let additional = Array(label.utf8) + vendorKeyID + Array(privateKey.publicKey.rawRepresentation)
        do {
            let box = try AES.GCM.seal(
                privateKey.rawRepresentation, using: wrapKey(secret: secret, vendorKeyID: vendorKeyID),
                nonce: AES.GCM.Nonce(data: [UInt8](repeating: 0, count: 12)), authenticating: additional)
            return Array(box.ciphertext) + Array(box.tag)
        } catch {
            throw .io("cannot seal the machine key: \(error)")
        }
    }

    private static func wrapKey(secret: [UInt8], vendorKeyID: [UInt8]) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: secret), salt: vendorKeyID, info: Array(label.utf8),
            outputByteCount: 32)
    }

    private func wrapKey(secret: [UInt8], vendorKeyID: [UInt8]) -> SymmetricKey {
        Self.wrapKey(secret: secret, vendorKeyID: vendorKeyID)
    }

    static func context(vendorKeyID: [UInt8]) -> [UInt8] { Array(label.utf8) + vendorKeyID }

    /// How this key's components are derived: version 1 keys keep the version 1 derivation.
    var fingerprintVersion: FingerprintVersion { version == 1 ? .v1 : .v2 }

    /// How licenses are wrapped to this key (spec/LICENSING.md §4).
    public var kem: MachineKEM { .x25519 }
}

/// The key-encapsulation mechanism a machine key uses (spec/LICENSING.md §3, `kem`).
public enum MachineKEM: String, Sendable {
    /// A software X25519 key sealed under the fingerprint (HPKE DHKEM(X25519, HKDF-SHA256)).
    case x25519
    /// A P-256 key inside a TPM 2.0 (HPKE DHKEM(P-256, HKDF-SHA256)): `TPMMachineIdentity`.
    case p256TPM = "p256-tpm"

    /// Bytes of a machine public key: X25519 32, P-256 uncompressed 65.
    var publicKeyLength: Int { self == .x25519 ? 32 : 65 }
    /// Bytes of a license's `machine_share`: the encapsulated key, then 32 + 16 of ciphertext.
    var machineShareLength: Int { publicKeyLength + 48 }
    /// The HPKE suite licenses wrap secret A with (spec/LICENSING.md §4).
    public var suite: HPKE.Ciphersuite {
        self == .x25519
            ? ComponentLock.suite : HPKE.Ciphersuite(kem: .P256_HKDF_SHA256, kdf: .HKDF_SHA256, aead: .AES_GCM_256)
    }

    /// Reads `kem` of a version 2 document.
    static func parse(_ text: String, what: String) throws(LicenseError) -> MachineKEM {
        switch MachineKEM(rawValue: text) {
        case .x25519: return .x25519
        case .p256TPM: return .p256TPM
        case nil: throw .malformed(what, "unknown kem '\(text)'")
        }
    }
}

extension MachineIdentity {
    /// The canonical JSON of the key file.
    var json: JSONValue {
        var members: JSONObject = [
            "type": .string("modelseal-machine-key"),
            "version": .integer(Int64(version)),
            "vendor_key_id": .string(Hex.encode(vendorKeyID)),
            "machine_key": .string(Codec.base64(Array(publicKey.rawRepresentation))),
            "components": .array(componentNames.map { .string($0) }),
            "threshold": .integer(Int64(lock.threshold)),
            "shares": .array(lock.shares.map { .string(Codec.base64($0)) }),
            "sealed_private_key": .string(Codec.base64(sealedPrivateKey)),
        ]
        if version >= 2 { members["kem"] = .string(kem.rawValue) }
        return .object(members)
    }

    init(json value: JSONValue) throws(LicenseError) {
        var fields = try JSONFields(value, what: "machine key file")
        guard try fields.string("type") == "modelseal-machine-key" else {
            throw .malformed("machine key file", "not a machine key file")
        }
        let version = try fields.integer("version")
        guard version == 1 || version == 2 else { throw .unsupported("machine key file version \(version)") }
        self.version = Int(version)
        if version == 2, try MachineKEM.parse(try fields.string("kem"), what: "the machine key file") != .x25519 {
            throw .malformed("machine key file", "not a software (x25519) machine key")
        }
        vendorKeyID = try fields.hex("vendor_key_id", length: 32)
        let publicBytes = try fields.base64("machine_key", length: 32)
        guard let key = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: publicBytes) else {
            throw .malformed("machine key file", "bad machine key")
        }
        publicKey = key
        componentNames = try fields.array("components", count: 1...ComponentLock.maximumComponents).map {
            (value) throws(LicenseError) -> String in
            guard case .string(let name) = value else {
                throw .malformed("machine key file", "component names are strings")
            }
            return name
        }
        let threshold = Int(try fields.integer("threshold", in: 1...Int64(componentNames.count)))
        let shares = try fields.array("shares", count: componentNames.count...componentNames.count).map {
            (value) throws(LicenseError) -> [UInt8] in
            guard case .string(let text) = value else { throw .malformed("machine key file", "shares are strings") }
            return try Codec.base64(text, length: ComponentLock.shareLength, what: "machine key file share")
        }
        lock = ComponentLock(threshold: threshold, shares: shares)
        sealedPrivateKey = try fields.base64("sealed_private_key", length: 48)
        try fields.finish()
    }
}

/// `count` bytes from the system CSPRNG.
func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
}
