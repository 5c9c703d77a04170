import SwiftASN1
import X509

/// What an EK certificate adds to RFC 5280 path validation: its subject is empty and the TPM's maker, model and
/// version are in a critical subjectAltName (TCG EK Credential Profile 2.0 §3.2.9), which this policy handles;
/// the leaf must not be a CA. The key itself is checked by `EKCertificateVerifier` (RSA 2048).
struct EKCertificatePolicy: VerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [.X509ExtensionID.subjectAlternativeName]

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        guard let leaf = chain.first else { return .failsToMeetPolicy(reason: "empty chain") }
        if let constraints = try? leaf.extensions.basicConstraints, case .isCertificateAuthority = constraints {
            return .failsToMeetPolicy(reason: "the EK certificate is a CA certificate")
        }
        return .meetsPolicy
    }
}
