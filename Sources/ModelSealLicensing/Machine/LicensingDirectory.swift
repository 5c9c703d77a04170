import ContainerFormat
import ModelSealCore

#if canImport(Glibc)
    import Glibc
#endif

/// Where this machine keeps its licensing files: one folder per vendor holding the machine key
/// (`machine.json`) and the load-count state of each license (`state/<license id>.*`).
///
/// `$MODELSEAL_LICENSE_DIR`, else `$XDG_DATA_HOME/modelseal/licensing`, else
/// `$HOME/.local/share/modelseal/licensing`. Several users of one machine have separate folders;
/// a service account that loads models needs the folder its request was made in.
public struct LicensingDirectory: Sendable {
    /// Environment variable that overrides the location.
    public static let variable = "MODELSEAL_LICENSE_DIR"

    /// The folder.
    public let path: String

    /// A folder at `path`.
    public init(path: String) { self.path = path }

    /// The folder chosen by the environment.
    public static func fromEnvironment() -> LicensingDirectory {
        func value(_ name: String) -> String? {
            guard let text = ProcessEnvironment.value(name) else { return nil }
            return text.isEmpty ? nil : text
        }
        if let explicit = value(variable) { return LicensingDirectory(path: explicit) }
        if let data = value("XDG_DATA_HOME") { return LicensingDirectory(path: data + "/modelseal/licensing") }
        return LicensingDirectory(path: (value("HOME") ?? ".") + "/.local/share/modelseal/licensing")
    }

    /// The folder for one vendor: the first 16 bytes of its key id in hex.
    public func vendorPath(_ vendorKeyID: [UInt8]) -> String { path + "/" + Hex.encode(vendorKeyID.prefix(16)) }

    /// True when a machine key for this vendor exists here.
    public func hasMachineIdentity(vendorKeyID: [UInt8]) -> Bool {
        access(machinePath(vendorKeyID), F_OK) == 0
    }

    /// The NV index of the load counter of this vendor's machine key when that key is in a TPM (`license
    /// request --new` releases it after the new key is made: NV indices are few).
    public func tpmCounterIndex(vendorKeyID: [UInt8]) -> UInt32? {
        guard case .tpm(let identity)? = try? machineKeyFile(vendorKeyID: vendorKeyID) else { return nil }
        return identity.counterIndex
    }

    func machinePath(_ vendorKeyID: [UInt8]) -> String { vendorPath(vendorKeyID) + "/" + MachineIdentity.fileName }

    func statePath(_ vendorKeyID: [UInt8], licenseID: String) -> String {
        vendorPath(vendorKeyID) + "/state/" + licenseID
    }

    /// The software machine identity for a vendor, `nil` when none was made here.
    func machineIdentity(vendorKeyID: [UInt8]) throws(LicenseError) -> MachineIdentity? {
        switch try machineKeyFile(vendorKeyID: vendorKeyID) {
        case .software(let identity): identity
        case .tpm: throw .malformed("machine key file", "the machine key for this vendor is in a TPM")
        case nil: nil
        }
    }

    /// The machine key file for a vendor (software or TPM), `nil` when none was made here.
    func machineKeyFile(vendorKeyID: [UInt8]) throws(LicenseError) -> MachineKeyFile? {
        if let refusal = SecretFilePermissions.check(machinePath(vendorKeyID), what: "machine key file") {
            throw .malformed("machine key file", refusal)
        }
        guard let bytes = try AtomicFiles.read(machinePath(vendorKeyID)) else { return nil }
        let identity = try MachineKeyFile(json: try JSONValue.parseCanonical(bytes, what: "machine key file"))
        guard identity.vendorKeyID == vendorKeyID else {
            throw .malformed(
                "machine key file", "\(machinePath(vendorKeyID)) belongs to another vendor: it was moved or copied")
        }
        return identity
    }

    func save(_ identity: MachineIdentity) throws(LicenseError) { try save(.software(identity)) }

    func save(_ file: MachineKeyFile) throws(LicenseError) {
        try AtomicFiles.makeDirectory(vendorPath(file.vendorKeyID))
        try AtomicFiles.write(file.json.canonicalBytes, to: machinePath(file.vendorKeyID))
    }
}
