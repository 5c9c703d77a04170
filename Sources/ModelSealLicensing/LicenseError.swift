/// Everything that can refuse a licensed open or a licensing command: a closed set.
///
/// Every case names the reason and what to do; `ModelSealKit.StatusCode` maps them to exit
/// codes 30–39 (Python `LicenseError`).
public enum LicenseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A license, request, machine key or state file breaks its format (`what` names which).
    case malformed(String, String)
    /// The license's signature does not verify: it was edited after signing.
    case tamperedLicense(String)
    /// The license is validly signed, but not by the vendor this machine's request named.
    case untrustedVendor(signer: String, expected: String)
    /// The license needs something this version does not implement (online check-in).
    case unsupported(String)
    /// The license is not valid before `notBefore` (Unix seconds, UTC).
    case notYetValid(notBefore: Int64, now: Int64)
    /// The license expired at `expiresAt` (Unix seconds, UTC; exclusive).
    case expired(expiresAt: Int64, now: Int64)
    /// This machine holds no machine key for the license's vendor (no `license request` was made here).
    case noMachineKey(vendor: String, directory: String)
    /// The license was issued to another machine key.
    case wrongMachine(String)
    /// Fewer fingerprint components match than the license requires.
    case tooFewComponents(required: Int, matching: Int, differing: [String])
    /// The license does not cover this sealed file.
    case wrongModel(fileID: String, licensed: [String])
    /// Every licensed load has been used.
    case loadsExhausted(maximum: Int64, stateFile: String)
    /// The system clock is earlier than a time this license or machine has already seen.
    case clockRollback(now: Int64, reference: Int64, what: String)
    /// The load-count state file was edited or its MAC does not verify.
    case stateTampered(path: String)
    /// The load-count state file is older than its last recorded generation (restored from a copy).
    case stateRolledBack(path: String, found: Int64, expected: Int64)
    /// The license policy denies this process's runtime environment.
    case guardDenied([String])
    /// The license does not grant this use (e.g. writing the model to a file).
    case featureNotLicensed(String)
    /// No fingerprint component could be read on this machine.
    case noFingerprint
    /// The TPM that holds this machine's key cannot be used or refused (exit 33, like any wrong machine):
    /// a TPM-bound license never falls back to software.
    case tpm(String)
    /// Reading or writing a licensing file failed.
    case io(String)

    public var description: String {
        switch self {
        case .malformed(let what, let reason):
            "malformed \(what): \(reason)"
        case .tamperedLicense(let reason):
            "tampered license: \(reason); use the license file exactly as the vendor sent it"
        case .untrustedVendor(let signer, let expected):
            "license signed by \(signer), but this machine's license request was made for vendor \(expected): "
                + "ask that vendor for the license, or make a request for this vendor's key"
        case .unsupported(let reason):
            "this license needs a newer modelseal: \(reason)"
        case .notYetValid(let notBefore, let now):
            "license not yet valid: valid from \(LicenseTime.format(notBefore)), now is \(LicenseTime.format(now)) (UTC)"
        case .expired(let expiresAt, let now):
            "license expired at \(LicenseTime.format(expiresAt)) (UTC), now is \(LicenseTime.format(now)): "
                + "ask the vendor for a renewed license"
        case .noMachineKey(let vendor, let directory):
            "wrong machine: no machine key for vendor \(vendor) in \(directory); this license was issued for a request "
                + "made on another machine: run `modelseal license request` here and send the request to the vendor"
        case .wrongMachine(let reason):
            "wrong machine: \(reason); ask the vendor to re-issue the license for this machine's request"
        case .tooFewComponents(let required, let matching, let differing):
            "wrong machine: the license needs \(required) matching fingerprint component(s), \(matching) match; "
                + "changed: \(differing.isEmpty ? "none" : differing.joined(separator: ", ")); after a hardware change "
                + "run `modelseal license request` again and ask the vendor to re-issue"
        case .wrongModel(let fileID, let licensed):
            "wrong model: this license does not cover file \(fileID) (licensed: "
                + "\(licensed.isEmpty ? "files sealed to the license key only" : licensed.joined(separator: ", "))); "
                + "ask the vendor to add it"
        case .loadsExhausted(let maximum, let stateFile):
            "license load limit reached: all \(maximum) load(s) used (counted in \(stateFile)); ask the vendor for a new license"
        case .clockRollback(let now, let reference, let what):
            "clock rollback: the system clock (\(LicenseTime.format(now))) is earlier than \(what) "
                + "(\(LicenseTime.format(reference))); set the clock correctly (UTC) and retry"
        case .stateTampered(let path):
            "license state file \(path) was edited or corrupted (MAC mismatch); restore it or ask the vendor to re-issue"
        case .stateRolledBack(let path, let found, let expected):
            "license state file \(path) was rolled back (generation \(found), last recorded \(expected)); "
                + "restoring an old state file is not allowed: restore the latest one or ask the vendor to re-issue"
        case .guardDenied(let findings):
            "runtime guard denied by the license policy: \(findings.joined(separator: "; "))"
        case .featureNotLicensed(let reason):
            "not licensed: \(reason)"
        case .noFingerprint:
            "no machine fingerprint component is readable here (containers often have none): mount a host token file "
                + "and set MODELSEAL_HOST_TOKEN_FILE (docs/LICENSING.md)"
        case .tpm(let reason):
            "wrong machine: this license is bound to a TPM and the TPM did not answer as the machine it was issued "
                + "to: \(reason) (a TPM-bound license never falls back to software; MODELSEAL_TPM_TCTI names the TPM)"
        case .io(let reason):
            reason
        }
    }
}
