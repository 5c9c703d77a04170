import ModelSealAttestation
import ModelSealCore

/// How the server attests TPM machine keys (`--ek-ca`, `--require-tpm`, docs/SERVER.md §TPM): the EK CAs it
/// trusts and whether releases need an attested machine.
public struct EKAttestationPolicy: Sendable {
    /// The EK certificate roots and intermediates (`--ek-ca`).
    public let anchors: EKTrustAnchors
    /// Releases only to machines that proved their key is in a trusted TPM (`--require-tpm`).
    public let required: Bool

    public init(anchors: EKTrustAnchors, required: Bool) {
        self.anchors = anchors
        self.required = required
    }

    /// The policy of `--ek-ca FILE…` and `--require-tpm`: nil without CA files (`--require-tpm` then refused).
    public static func load(caFiles: [String], required: Bool) throws -> EKAttestationPolicy? {
        guard !caFiles.isEmpty else {
            if required { throw AttestationError.badCA("--require-tpm needs --ek-ca FILE (the TPM makers' EK CAs)") }
            return nil
        }
        var files: [(path: String, text: String)] = []
        for path in caFiles {
            files.append((path, String(decoding: try SmallFile.read(path, limit: 1 << 20), as: UTF8.self)))
        }
        return EKAttestationPolicy(anchors: try EKTrustAnchors(pemFiles: files), required: required)
    }
}
