import Dispatch
import SwiftASN1
import X509
import _CryptoExtras

/// Checks a request's EK certificate: it parses, chains to one of the vendor's `EKTrustAnchors` (RFC 5280 path
/// validation with swift-certificates, at the current time, plus `EKCertificatePolicy`), and holds an RSA 2048
/// key, the one the standard EK template makes (the only EK kind `MakeCredential` encrypts to).
enum EKCertificateVerifier {
    /// The EK's public key once the chain verified.
    static func verify(_ der: [UInt8], anchors: EKTrustAnchors) throws(AttestationError) -> RSAOAEPPublicKey {
        let leaf: Certificate
        do {
            leaf = try Certificate(derEncoded: der)
        } catch {
            throw .untrustedEndorsementKey("it does not parse as an X.509 certificate (\(error))")
        }
        let result = validate(leaf, anchors: anchors)
        guard case .validCertificate = result else {
            var reasons: [String] = []
            if case .couldNotValidate(let failures) = result {
                reasons = failures.map { "\($0.policyFailureReason)" }
            }
            throw .untrustedEndorsementKey(
                "it does not chain to any --ek-ca (issuer \(leaf.issuer))"
                    + (reasons.isEmpty ? "" : ": " + reasons.joined(separator: "; ")))
        }
        guard let key = _RSA.Signing.PublicKey(leaf.publicKey), let primitives = try? key.getKeyPrimitives(),
            primitives.modulus.count == 256 || (primitives.modulus.count == 257 && primitives.modulus.first == 0)
        else {
            throw .untrustedEndorsementKey(
                "its key is not RSA 2048 (only the RSA 2048 EK at NV 0x01c00002 is attested)")
        }
        return RSAOAEPPublicKey(
            modulus: Array(primitives.modulus.suffix(256)), exponent: Array(primitives.publicExponent))
    }

    /// swift-certificates' verifier is async and does no I/O here: run it to completion on another thread.
    static func validate(_ leaf: Certificate, anchors: EKTrustAnchors) -> CertificateValidationResult {
        final class Outcome: @unchecked Sendable { var result = CertificateValidationResult.couldNotValidate([]) }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        Task {
            var verifier = Verifier(rootCertificates: CertificateStore(anchors.roots)) {
                RFC5280Policy()
                EKCertificatePolicy()
            }
            outcome.result = await verifier.validate(
                leaf: leaf, intermediates: CertificateStore(anchors.intermediates))
            done.signal()
        }
        done.wait()
        return outcome.result
    }
}
