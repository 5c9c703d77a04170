import ArgumentParser
import ModelSealKit
import ModelSealSigning

extension ModelSeal.Verify {
    /// `verify --oms` needs the signature file and the signer's public key (key mode has no other trust root).
    func validateOMS() throws {
        if trust.signature == nil { throw ValidationError("--oms needs the signature file: --signature FILE") }
        if trust.trustFiles.isEmpty {
            throw ValidationError("--oms needs the signer's ECDSA public key: --trust FILE")
        }
    }

    /// Verifies the model file or directory `file` against an OpenSSF model signature.
    func executeOMS() throws {
        guard let signaturePath = trust.signature else { return }
        let trusted = try SigningKeys.trustKeys(paths: trust.trustFiles)
        let bundle = try OpenSSFModelSigning.readBundle(path: signaturePath)
        let result = try OpenSSFModelSigning.verify(
            modelAt: file, bundle: bundle, trustedKeys: trusted, signaturePath: signaturePath)
        if json {
            try JSONOutput.print(
                OMSVerifyReport(
                    model: file, valid: true, signer: result.signer.fingerprint, keyHint: result.signer.omsKeyHint,
                    resources: result.manifest.resources.count))
            return
        }
        Terminal.writeOutput(
            "valid OpenSSF model signature by \(result.signer.fingerprint) (\(result.signer.typeName)), trusted; "
                + "\(result.manifest.resources.count) resource(s) match\n")
    }
}

/// `verify --oms --json` output (schema version 1).
struct OMSVerifyReport: Encodable {
    var schema = 1
    var format = "openssf-model-signing"
    let model: String
    let valid: Bool
    let signer: String
    let keyHint: String
    let resources: Int
}
