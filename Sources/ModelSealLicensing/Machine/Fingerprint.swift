import ContainerEngine
import Crypto
import ModelSealCore
import _CryptoExtras

/// The fingerprint of this machine for one vendor: the components present, salted.
///
/// **Salt.** `SHA-256("modelseal/vN fingerprint-salt" || 0x00 || vendor_key_id)`, where
/// `vendor_key_id` is the key id (spec/SIGNATURES.md §2) of the vendor's license-signing key; without a
/// vendor, 32 zero bytes stand in for it. Each vendor therefore sees hashes no other vendor can link,
/// and the customer needs nothing from the vendor but its public key.
///
/// **Per component** (spec/LICENSING.md §2): version 2 first stretches the raw value with scrypt
/// (`FingerprintVersion.v2`), so that checking one guessed value against a request or license
/// costs a slow derivation; version 1 (licenses issued before) uses the raw value. From that
/// material come the salted hash that goes into requests and licenses and the component's X25519
/// private key, whose public half only leaves the machine. Neither reveals the other.
public struct Fingerprint: Sendable {
    /// One component of this machine.
    public struct Component: Sendable {
        /// Its name (`machine-id`, `cpu`, ...).
        public let name: String
        /// Where it tends to break.
        public let stability: String
        /// The raw value (version 1) or its scrypt stretch (version 2): what hashes and keys derive from.
        let material: [UInt8]
    }

    /// The derivation version (1: licenses and machine keys made before license v2).
    public let version: FingerprintVersion
    /// Components present on this machine, in name order.
    public let components: [Component]
    /// Names of known components this machine lacks.
    public let missing: [String]
    /// The salt every hash and key is derived with.
    public let salt: [UInt8]

    /// The real machine's fingerprint for the vendor whose signing key has `vendorKeyID` (nil: unsalted view).
    public static func current(vendorKeyID: [UInt8]?, version: FingerprintVersion = .v2) -> Fingerprint {
        Fingerprint(probe: FilesystemProbe.system, vendorKeyID: vendorKeyID, version: version)
    }

    init(probe: MachineProbe, vendorKeyID: [UInt8]?, version: FingerprintVersion = .v2) {
        var present: [(FingerprintSource, [UInt8])] = []
        var missing: [String] = []
        for source in FingerprintSource.all {
            if let value = source.read(probe) {
                present.append((source, value))
            } else {
                missing.append(source.name)
            }
        }
        let salt = Self.salt(vendorKeyID: vendorKeyID, version: version)
        // One scrypt per component, spread over the cores (spec/LICENSING.md §2).
        components = Parallel.map(present.count) { index in
            let (source, value) = present[index]
            return Component(
                name: source.name, stability: source.stability,
                material: version.material(name: source.name, value: value, salt: salt))
        }
        self.missing = missing
        self.version = version
        self.salt = salt
    }

    static func salt(vendorKeyID: [UInt8]?, version: FingerprintVersion) -> [UInt8] {
        Array(
            SHA256.hash(
                data: Array("\(version.label) fingerprint-salt".utf8) + [0]
                    + (vendorKeyID ?? [UInt8](repeating: 0, count: 32))))
    }

    /// The salted hash of `component`.
    public func hash(of component: Component) -> [UInt8] {
        let message =
            Array("\(version.label) fingerprint-hash".utf8) + [0] + Array(component.name.utf8) + [0]
            + component.material
        return Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: salt)))
    }

    /// The component's X25519 private key (never written anywhere).
    func privateKey(of component: Component) -> Curve25519.KeyAgreement.PrivateKey {
        let key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: component.material), salt: salt,
            info: Array("\(version.label) fingerprint-key".utf8) + [0] + Array(component.name.utf8),
            outputByteCount: 32)
        // X25519 accepts every 32-byte string (it clamps), so this cannot fail.
        return key.withUnsafeBytes { bytes in
            (try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: bytes)) ?? Curve25519.KeyAgreement.PrivateKey()
        }
    }

    /// The component named `name`, if present.
    public func component(named name: String) -> Component? { components.first { $0.name == name } }

    /// Private keys for the named components, `nil` where this machine lacks one.
    func privateKeys(for names: [String]) -> [Curve25519.KeyAgreement.PrivateKey?] {
        names.map { name in component(named: name).map(privateKey(of:)) }
    }

    /// Which of the named components' hashes match this machine.
    func matches(_ expected: [(name: String, hash: [UInt8])]) -> [Bool] {
        expected.map { entry in
            guard let component = component(named: entry.name) else { return false }
            return ConstantTime.equal(hash(of: component), entry.hash)
        }
    }
}

/// How fingerprint components become hashes and keys (spec/LICENSING.md §2).
public enum FingerprintVersion: Int, Sendable {
    /// Hashes and keys straight from the raw value (licenses, requests and machine keys of version 1).
    case v1 = 1
    /// The raw value first goes through scrypt (log2 N = 13, r = 8, p = 1): checking one guess costs
    /// about 25 ms of one core and 8 MiB, where version 1 cost a microsecond.
    case v2 = 2

    /// scrypt cost of version 2.
    static let scryptLog2N = 13
    static let scryptR = 8
    static let scryptP = 1

    var label: String { "modelseal/v\(rawValue)" }

    func material(name: String, value: [UInt8], salt: [UInt8]) -> [UInt8] {
        guard self == .v2 else { return value }
        let password = Array("modelseal/v2 fingerprint".utf8) + [0] + Array(name.utf8) + [0] + value
        // Fixed, small parameters: scrypt cannot refuse them.
        let parameters = try? ScryptParameters.validated(log2N: Self.scryptLog2N, r: Self.scryptR, p: Self.scryptP)
        return (try? parameters?.derive(password: password, salt: salt)) ?? []
    }
}
