/// Why `license issue --require-tpm` refuses a request: each case says what was wrong and what to do.
public enum AttestationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The request carries no TPM evidence (a software key, or a TPM without an EK certificate in NV).
    case noEvidence(String)
    /// The EK certificate does not chain to a configured CA, or is not an RSA 2048 EK certificate.
    case untrustedEndorsementKey(String)
    /// The machine key's public area is not the request's key, or not a key that cannot leave its TPM.
    case notTPMResident(String)
    /// A configured CA file does not hold a certificate.
    case badCA(String)

    public var description: String {
        switch self {
        case .noEvidence(let reason):
            "TPM attestation refused: \(reason)"
        case .untrustedEndorsementKey(let reason):
            "TPM attestation refused: the request's EK certificate is not trusted: \(reason)"
        case .notTPMResident(let reason):
            "TPM attestation refused: the machine key is not shown to live in the attested TPM: \(reason)"
        case .badCA(let reason):
            "bad --ek-ca: \(reason)"
        }
    }
}
