import Crypto
import FoundationEssentials
import ModelSealCore

/// What the key server's client needs from this machine's key for one vendor (docs/SERVER.md): the
/// public key to register at activation, and opening what the server sealed to it.
///
/// The private key never leaves `MachineIdentity`; it is unlocked with the current fingerprint for
/// each call and dropped afterwards.
public enum MachineKeyAccess {
    /// The machine key's public half for `vendorKeyID`, making the key when this folder has none.
    public static func publicKey(
        vendorKeyID: [UInt8], directory: LicensingDirectory, tolerance: Int = 1, label: String
    ) throws(LicenseError) -> [UInt8] {
        if let identity = try directory.machineIdentity(vendorKeyID: vendorKeyID) {
            return Array(identity.publicKey.rawRepresentation)
        }
        do {
            // A software X25519 key: the server's client does not use TPM-bound machine keys (docs/SERVER.md).
            return try LicenseRequest.create(
                vendorKeyID: vendorKeyID, tolerance: tolerance, label: label, directory: directory
            ).machineKey
        } catch let error as LicenseError {
            throw error
        } catch {
            throw .io("cannot make the machine key: \(error)")
        }
    }

    /// Opens an HPKE base-mode box (`encapsulated key (32) || ciphertext`, X25519 / HKDF-SHA256 /
    /// AES-256-GCM) sealed to this machine's key with `info` and `authenticating` data.
    public static func open(
        _ box: [UInt8], info: [UInt8], authenticating additional: [UInt8], vendorKeyID: [UInt8],
        directory: LicensingDirectory
    ) throws(LicenseError) -> [UInt8] {
        guard let identity = try directory.machineIdentity(vendorKeyID: vendorKeyID) else {
            throw .noMachineKey(vendor: Hex.encode(vendorKeyID.prefix(16)), directory: directory.path)
        }
        let privateKey = try identity.unlock(with: Fingerprint.current(vendorKeyID: vendorKeyID))
        guard box.count > 32,
            var receiver = try? HPKE.Recipient(
                privateKey: privateKey, ciphersuite: ComponentLock.suite, info: Data(info),
                encapsulatedKey: Data(box.prefix(32))),
            let opened = try? receiver.open(Data(box.dropFirst(32)), authenticating: Data(additional))
        else { throw .malformed("sealed box", "it does not open with this machine's key: it was made for another") }
        return Array(opened)
    }
}
