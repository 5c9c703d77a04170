import Crypto
import FoundationEssentials
import ModelSealCore

/// What the key server's client needs from this machine's key for one vendor (docs/SERVER.md): the
/// public key to register at activation, and opening what the server sealed to it.
///
/// A software key (X25519) never leaves `MachineIdentity`; it is unlocked with the current fingerprint for
/// each call and dropped afterwards. A TPM key (P-256, `TPMMachineIdentity`) never leaves the TPM: opening
/// runs `TPM2_ECDH_ZGen` in it (`TPMP256KEMPrivateKey`).
public enum MachineKeyAccess {
    /// The machine key's public half for `vendorKeyID` and its KEM, making the key when this folder has none: in
    /// the TPM behind `tpm`, else in software. An existing key is returned whatever its kind.
    public static func publicKey(
        vendorKeyID: [UInt8], directory: LicensingDirectory, tolerance: Int = 1, label: String,
        tpm: TPMConnection? = nil
    ) throws(LicenseError) -> (key: [UInt8], kem: MachineKEM) {
        if let file = try directory.machineKeyFile(vendorKeyID: vendorKeyID) { return (file.machineKey, file.kem) }
        do {
            let request = try LicenseRequest.create(
                vendorKeyID: vendorKeyID, tolerance: tolerance, label: label, directory: directory, tpm: tpm)
            return (request.machineKey, request.kem)
        } catch let error as LicenseError {
            throw error
        } catch let error as TPMError {
            throw .tpm("\(error)")
        } catch {
            throw .io("cannot make the machine key: \(error)")
        }
    }

    /// The KEM of this folder's machine key for `vendorKeyID` (`p256TPM`: the key is in a TPM), nil when none.
    public static func kem(vendorKeyID: [UInt8], directory: LicensingDirectory) throws(LicenseError) -> MachineKEM? {
        try directory.machineKeyFile(vendorKeyID: vendorKeyID)?.kem
    }

    /// Opens an HPKE base-mode box (`encapsulated key || ciphertext`, the machine key's KEM / HKDF-SHA256 /
    /// AES-256-GCM) sealed to this machine's key with `info` and `authenticating` data. A TPM key is used in the
    /// TPM behind `tpm` (nil: the system's TPM), never in software.
    public static func open(
        _ box: [UInt8], info: [UInt8], authenticating additional: [UInt8], vendorKeyID: [UInt8],
        directory: LicensingDirectory, tpm: TPMConnection? = nil
    ) throws(LicenseError) -> [UInt8] {
        let otherKey = LicenseError.malformed(
            "sealed box", "it does not open with this machine's key: it was made for another")
        switch try directory.machineKeyFile(vendorKeyID: vendorKeyID) {
        case nil:
            throw .noMachineKey(vendor: Hex.encode(vendorKeyID.prefix(16)), directory: directory.path)
        case .software(let identity):
            let privateKey = try identity.unlock(with: Fingerprint.current(vendorKeyID: vendorKeyID))
            guard box.count > 32,
                var receiver = try? HPKE.Recipient(
                    privateKey: privateKey, ciphersuite: MachineKEM.x25519.suite, info: Data(info),
                    encapsulatedKey: Data(box.prefix(32))),
                let opened = try? receiver.open(Data(box.dropFirst(32)), authenticating: Data(additional))
            else { throw otherKey }
            return Array(opened)
        case .tpm(let identity):
            return try openInTPM(
                box, identity: identity, info: info, additional: additional, tpm: tpm, otherKey: otherKey)
        }
    }

    static func openInTPM(
        _ box: [UInt8], identity: TPMMachineIdentity, info: [UInt8], additional: [UInt8], tpm: TPMConnection?,
        otherKey: LicenseError
    ) throws(LicenseError) -> [UInt8] {
        let length = MachineKEM.p256TPM.publicKeyLength
        guard box.count > length else { throw otherKey }
        do {
            let connection = try tpm ?? TPMConnection()
            return try identity.withKey(connection) { key, _ in
                guard
                    var receiver = try? HPKE.Recipient(
                        privateKey: key, ciphersuite: MachineKEM.p256TPM.suite, info: Data(info),
                        encapsulatedKey: Data(box.prefix(length))),
                    let opened = try? receiver.open(Data(box.dropFirst(length)), authenticating: Data(additional))
                else { throw otherKey }
                return Array(opened)
            }
        } catch let error as LicenseError {
            throw error
        } catch {
            throw .tpm("\(error)")
        }
    }
}

extension MachineKeyAccess {
    /// The evidence a key server attests this folder's TPM machine key for `vendorKeyID` with (docs/SERVER.md
    /// §TPM): the TPM's EK certificate and the key's public area, as `license request --tpm` sends them. Nil for a
    /// software key or a TPM without an EK certificate in NV.
    public static func tpmEvidence(vendorKeyID: [UInt8], directory: LicensingDirectory, tpm: TPMConnection)
        throws(LicenseError) -> TPMEvidence?
    {
        guard case .tpm(let identity)? = try directory.machineKeyFile(vendorKeyID: vendorKeyID),
            let certificate = try? tpm.endorsementCertificate()
        else { return nil }
        do {
            let (handle, point, publicArea) = try tpm.createMachineKey(unique: identity.unique)
            tpm.flush(handle)
            guard point == identity.machineKey else {
                throw LicenseError.wrongMachine("this TPM no longer holds the machine key (another TPM, or cleared)")
            }
            return TPMEvidence(ekCertificate: certificate, machineKeyPublic: publicArea)
        } catch let error as LicenseError {
            throw error
        } catch {
            throw .tpm("\(error)")
        }
    }

    /// The secret of `credential` (`TPM2_ActivateCredential` with this TPM's EK and this folder's TPM machine key
    /// for `vendorKeyID`): a key server's proof that the key is in the TPM whose EK certificate it verified.
    public static func activateCredential(
        _ credential: EKCredential, vendorKeyID: [UInt8], directory: LicensingDirectory, tpm: TPMConnection
    ) throws(LicenseError) -> [UInt8] {
        guard case .tpm(let identity)? = try directory.machineKeyFile(vendorKeyID: vendorKeyID) else {
            throw .noMachineKey(vendor: Hex.encode(vendorKeyID.prefix(16)), directory: directory.path)
        }
        do {
            return try identity.withKey(tpm) { _, handle in
                try LicenseValidator.activate(credential, tpm: tpm, machineKey: handle)
            }
        } catch let error as LicenseError {
            throw error
        } catch {
            throw .tpm("\(error)")
        }
    }
}
