import Crypto

/// The fingerprint of this machine for one vendor: the components present, salted.
///
/// **Salt.** `SHA-256("modelseal/v1 fingerprint-salt" || 0x00 || vendor_key_id)`, where
/// `vendor_key_id` is the key id (spec/SIGNATURES.md §2) of the vendor's license-signing key; without a
/// vendor, 32 zero bytes stand in for it. Each vendor therefore sees hashes no other vendor can link,
/// and the customer needs nothing from the vendor but its public key.
///
/// **Per component** (spec/LICENSING.md §2): `hash = HMAC(salt, "modelseal/v1 fingerprint-hash" || 0x00 ||
/// name || 0x00 || value)` goes into requests and licenses; the component's X25519 private key is
/// `HKDF(ikm = value, salt = salt, info = "modelseal/v1 fingerprint-key" || 0x00 || name)` and only its
/// public half leaves the machine, in the request. Neither reveals the other or the raw value
/// (beyond guessing a low-entropy value and checking it, which salting per vendor cannot prevent).
public struct Fingerprint: Sendable {
    /// One component of this machine.
    public struct Component: Sendable {
        /// Its name (`machine-id`, `cpu`, ...).
        public let name: String
        /// Where it tends to break.
        public let stability: String
        let value: [UInt8]
    }

    /// Components present on this machine, in name order.
    public let components: [Component]
    /// Names of known components this machine lacks.
    public let missing: [String]
    /// The salt every hash and key is derived with.
    public let salt: [UInt8]

    /// The real machine's fingerprint for the vendor whose signing key has `vendorKeyID` (nil: unsalted view).
    public static func current(vendorKeyID: [UInt8]?) -> Fingerprint {
        Fingerprint(probe: FilesystemProbe.system, vendorKeyID: vendorKeyID)
    }

    init(probe: MachineProbe, vendorKeyID: [UInt8]?) {
        var present: [Component] = []
        var missing: [String] = []
        for source in FingerprintSource.all {
            if let value = source.read(probe) {
                present.append(Component(name: source.name, stability: source.stability, value: value))
            } else {
                missing.append(source.name)
            }
        }
        components = present
        self.missing = missing
        salt = Self.salt(vendorKeyID: vendorKeyID)
    }

    static func salt(vendorKeyID: [UInt8]?) -> [UInt8] {
        Array(
            SHA256.hash(
                data: Array("modelseal/v1 fingerprint-salt".utf8) + [0]
                    + (vendorKeyID ?? [UInt8](repeating: 0, count: 32))))
    }

    /// The salted hash of `component`.
    public func hash(of component: Component) -> [UInt8] {
        let message =
            Array("modelseal/v1 fingerprint-hash".utf8) + [0] + Array(component.name.utf8) + [0] + component.value
        return Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: salt)))
    }

    /// The component's X25519 private key (never written anywhere).
    func privateKey(of component: Component) -> Curve25519.KeyAgreement.PrivateKey {
        let key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: component.value), salt: salt,
            info: Array("modelseal/v1 fingerprint-key".utf8) + [0] + Array(component.name.utf8), outputByteCount: 32)
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
            return constantTimeEqual(hash(of: component), entry.hash)
        }
    }
}

func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for index in a.indices { difference |= a[index] ^ b[index] }
    return difference == 0
}
