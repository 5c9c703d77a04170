/// What `license show` reports about a license on this machine, without touching any model key.
public struct LicenseStatus: Sendable {
    /// A machine key for the license's vendor exists here.
    public let machineKeyPresent: Bool
    /// That key is the one the license was issued to.
    public let machineKeyMatches: Bool
    /// Fingerprint components that match, and how many are needed.
    public let matchingComponents: Int
    /// Components needed.
    public let requiredComponents: Int
    /// Components whose hash differs (or are missing) here.
    public let differingComponents: [String]
    /// Loads recorded here, when the state could be read.
    public let loadsUsed: Int64?
    /// The first load recorded here (Unix seconds), when known.
    public let firstUse: Int64?
    /// When the license was first seen expired here, if it was (a clock set back after that is refused).
    public let expirySeen: Int64?
    /// How the license is bound to this machine: `software`, `tpm` (a machine key inside a TPM), or
    /// `tpm-attested` (the same, proven to the vendor by EK attestation).
    public let binding: String

    /// What a software binding does not stop (SECURITY.md, licensee row): said by `license show`.
    public static let softwareBindingLimit =
        "software binding: a copy of the licensing folder on another machine that spoofs these components "
        + "(a mount namespace over /proc and /sys) opens the model, and restoring every licensing and record file "
        + "from a backup restores loads; the binding is advisory against a determined licensee (SECURITY.md)"

    /// What a TPM binding adds and what it does not, as this version implements it: said by `license show`.
    public static let tpmBindingLimit =
        "TPM binding: the machine key never leaves this machine's TPM, so a copy of the licensing folder opens "
        + "nothing elsewhere, and the load count and clock are held by the TPM's NV counter and clock (restoring "
        + "files does not restore loads); this license was issued without EK attestation, so the vendor cannot prove "
        + "the request's key is in a TPM: the binding is advisory against a customer who forges a request "
        + "(license issue --require-tpm --ek-ca attests it; SECURITY.md)"

    /// The same for a license issued after EK attestation (`license issue --require-tpm --ek-ca`).
    public static let attestedTPMBindingLimit =
        "TPM binding, EK-attested: the vendor checked this TPM's EK certificate against its CAs and the machine "
        + "key's TPM attributes, and the license key unwraps only with a secret this TPM recovers "
        + "(TPM2_ActivateCredential), so the license opens in no other TPM and with no software key; the load "
        + "count and clock are held by the TPM's NV counter and clock. A root user on this machine still reads "
        + "decrypted weights from the process, and a TPM clear loses the license (SECURITY.md)"

    /// The limit that applies to this license.
    public var bindingLimit: String {
        switch binding {
        case "tpm": Self.tpmBindingLimit
        case "tpm-attested": Self.attestedTPMBindingLimit
        default: Self.softwareBindingLimit
        }
    }
}

extension LicenseValidator {
    /// The license's standing on this machine (no guard, no date check, nothing counted).
    public func status(of signed: SignedLicense) -> LicenseStatus {
        let license = signed.license
        let vendor = license.machine.vendorKeyID
        let keyFile = (try? directory.machineKeyFile(vendorKeyID: vendor)) ?? nil
        let fingerprint = Fingerprint(probe: probe, vendorKeyID: vendor, version: license.fingerprintVersion)
        let matches = fingerprint.matches(license.machine.components)
        let keyMatches = keyFile.map { $0.machineKey == license.machine.machineKey } ?? false
        var state: LicenseState? = nil
        if keyMatches, let keyFile,
            let secrets = try? machineSecrets(keyFile, license: license, fingerprint: fingerprint)
        {
            var secretA = secrets.a
            var secretC = secrets.c
            SecretMemory.wipe(&secretA)
            SecretMemory.wipe(&secretC)
            if case .tpm(let identity) = keyFile, let ledgerKey = secrets.ledger {
                state = try? TPMLedger(
                    path: directory.vendorPath(vendor) + "/state/tpm-ledger.json", counterIndex: identity.counterIndex,
                    key: ledgerKey, tpm: connectTPM
                ).state(licenseID: license.id)
            } else {
                state = try? LicenseState.read(stateFiles(license), licenseID: license.id, key: secrets.state)
            }
        }
        return LicenseStatus(
            machineKeyPresent: keyFile != nil, machineKeyMatches: keyMatches,
            matchingComponents: matches.filter { $0 }.count, requiredComponents: license.machine.match,
            differingComponents: zip(license.machine.components, matches).filter { !$0.1 }.map(\.0.name),
            loadsUsed: state?.loads, firstUse: state.flatMap { $0.firstUse == 0 ? nil : $0.firstUse },
            expirySeen: ExpiryMark.read(stateFiles(license)),
            binding: license.machine.kem != .p256TPM
                ? "software" : license.keyWrapping.credential == nil ? "tpm" : "tpm-attested")
    }
}
