import Crypto
import ModelSealLicensing

/// The vendor's side of TPM attestation (`license issue --require-tpm --ek-ca`, spec/LICENSING.md §5
/// "Attestation"): the request's EK certificate must chain to a trusted CA, its machine key's public area must be
/// the request's P-256 key with fixedTPM, fixedParent and sensitiveDataOrigin, and then a credential is made for
/// that EK and that key's name, whose secret joins the license key's wrapping. A forged request (a software key,
/// or another TPM's key next to this TPM's EK certificate) is refused here or cannot open the license.
public enum TPMAttestation {
    /// Attests `request` against `anchors` and makes the credential for its license.
    public static func attest(
        _ request: LicenseRequest, anchors: EKTrustAnchors
    ) throws(AttestationError) -> AttestedCredential {
        guard request.kem == .p256TPM else {
            throw .noEvidence(
                "the request's machine key is a software key (kem \(request.kem.rawValue)), not a TPM key: the "
                    + "customer must run `modelseal license request --tpm` on a machine with a TPM 2.0")
        }
        guard let evidence = request.attestation else {
            throw .noEvidence(
                "the request carries no EK certificate (its TPM has none at NV 0x01c00002, or it was made by an "
                    + "older modelseal): the binding cannot be attested; issue without --require-tpm to accept it as "
                    + "advisory")
        }
        return try attest(
            evidence, machineKey: request.machineKey, anchors: anchors, keyName: "the request's machine_key")
    }

    /// Attests `evidence` for the P-256 machine key `machineKey` (`04 || x || y`) against `anchors` and makes a
    /// credential for that EK and the key's name, with a fresh 32-byte secret: a license request's key, or a
    /// key server activation's (`modelseal activate --tpm`, docs/SERVER.md §TPM).
    /// `keyName` names `machineKey` in errors.
    public static func attest(
        _ evidence: TPMEvidence, machineKey: [UInt8], anchors: EKTrustAnchors, keyName: String = "the machine_key"
    ) throws(AttestationError) -> AttestedCredential {
        let endorsementKey = try EKCertificateVerifier.verify(evidence.ekCertificate, anchors: anchors)
        let area = try MachineKeyPublicArea(evidence.machineKeyPublic)
        guard area.point == machineKey else {
            throw .notTPMResident("machine_key_public is another key than \(keyName)")
        }
        guard area.attributes & MachineKeyPublicArea.Attribute.required == MachineKeyPublicArea.Attribute.required
        else {
            throw .notTPMResident(
                "its attributes lack fixedTPM, fixedParent or sensitiveDataOrigin: it could exist outside the TPM")
        }
        let secret = Array(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
        do {
            let credential = try MakeCredential.make(
                credential: secret, objectName: area.name, endorsementKey: endorsementKey)
            return AttestedCredential(credential: credential, secret: secret)
        } catch {
            throw .untrustedEndorsementKey("cannot make a credential for it (\(error))")
        }
    }
}
