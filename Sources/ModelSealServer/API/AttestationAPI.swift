import Crypto
import Hummingbird
import ModelSealAttestation
import ModelSealCore
import ModelSealLicensing
import ModelSealServerProtocol

/// EK attestation of a TPM machine key (docs/SERVER.md §TPM): at activation, the body's `tpm_attestation` (the
/// TPM's EK certificate and the machine key's public area) is checked against `--ek-ca` and answered with a
/// `TPM2_MakeCredential` blob for that EK and that key's name; `POST /v1/attest` then shows its secret, which
/// only that TPM, holding that key, recovers (`TPM2_ActivateCredential`).
extension KeyServer {
    func addAttestationRoute(_ router: Router<BasicRequestContext>) {
        router.post("/v1/attest") { request, _ in
            await self.counted("attestation") {
                try await self.countingRefusals {
                    let signed = try await self.machineRequest(request)
                    guard let secret = Base64.decode(try signed.body.required("secret")), secret.count == 32 else {
                        throw APIError.badRequest("secret is the base64 of the credential's 32-byte secret")
                    }
                    let machine = try await self.store.attest(
                        machineID: signed.machine.id, secretHash: Self.secretHash(secret), now: signed.now)
                    return APIResponse.json(
                        .object([
                            "machine_id": .string(machine.id), "attested_at": .integer(machine.attestedAt ?? 0),
                        ]))
                }
            }
        }
    }

    /// The credential for the activation body's evidence, or nil when there is none or the server attests
    /// nothing (no `--ek-ca`). Evidence that does not attest is refused `not_attested` under `--require-tpm`,
    /// else the machine activates unattested.
    func credential(for body: JSONValue, machineKey: [UInt8], kem: ReleaseKEM) throws -> AttestedCredential? {
        guard let policy = attestation, let evidence = body["tpm_attestation"] else { return nil }
        guard kem == .p256, let certificate = evidence["ek_certificate"]?.stringValue.flatMap({ Base64.decode($0) }),
            let area = evidence["machine_key_public"]?.stringValue.flatMap({ Base64.decode($0) }),
            (1...TPMEvidence.Limits.maximumCertificateLength).contains(certificate.count),
            (1...TPMEvidence.Limits.maximumPublicLength).contains(area.count)
        else {
            throw APIError.badRequest(
                "tpm_attestation is {ek_certificate, machine_key_public} in base64, for a p256 machine key")
        }
        do {
            return try TPMAttestation.attest(
                TPMEvidence(ekCertificate: certificate, machineKeyPublic: area), machineKey: machineKey,
                anchors: policy.anchors)
        } catch {
            guard policy.required else { return nil }
            throw StoreError.refused(code: "not_attested", message: "the TPM evidence does not attest: \(error)")
        }
    }

    /// Refuses a release to a machine that has not attested its key when the server requires it.
    func checkAttested(_ machine: MachineRecord) throws {
        if attestation?.required == true && machine.attestedAt == nil { throw Refusal.notAttested }
    }

    static func secretHash(_ secret: [UInt8]) -> String { Hex.encode(SHA256.hash(data: secret)) }

    static func credentialJSON(_ credential: EKCredential) -> JSONValue {
        .object([
            "id_object": .string(Base64.encode(credential.idObject)),
            "encrypted_secret": .string(Base64.encode(credential.encryptedSecret)),
        ])
    }
}
