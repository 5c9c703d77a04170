import ArgumentParser
import ContainerEngine
import ModelSealCore
import ModelSealKit
import ModelSealSigning

extension ModelSeal.Sign {
    /// `sign --oms`: the signature goes to its own file (there is no container to embed it in).
    func validateOMS() throws {
        guard signature != nil else {
            throw ValidationError(
                "--oms writes a signature file: give it with --signature FILE (model_signing's default is model.sig)")
        }
        if output != nil { throw ValidationError("--oms writes only the --signature file: drop -o") }
    }

    /// Signs the model file or directory `input` in the OpenSSF model signing format.
    func executeOMS() throws {
        guard let (key, algorithm) = try signing.resolve(), let signature else { return }
        if signing.algorithm != nil, let natural = key.verifyingKey.omsAlgorithm, natural != algorithm {
            throw SigningError.unsuitableKey(
                "OpenSSF model signatures use ECDSA with the curve's own hash; drop --sign-alg \(algorithm)")
        }
        let bundle = try OpenSSFModelSigning.sign(modelAt: input, with: key, signaturePath: signature)
        // model_signing overwrites its signature file too: re-signing a model is the normal workflow.
        let sink = try OutputFile(.path(signature), mode: 0o644, replace: true)
        try bundle.withUnsafeBytes { raw in try sink.write(raw) }
        try sink.commit()
        Terminal.writeError(
            "signed \(input) as an OpenSSF model signature by \(key.verifyingKey.fingerprint) "
                + "(\(key.verifyingKey.typeName), key hint \(key.verifyingKey.omsKeyHint.prefix(16))…): \(signature)")
    }
}
