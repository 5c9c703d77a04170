import ContainerEngine
import ModelSealCore

#if canImport(Glibc)
    import Glibc
#endif

/// Signing and verifying plain model files and directories in the OpenSSF model signing format
/// (sigstore/model-transparency, `model_signing` 1.x), key-based mode, so either tool verifies the other's.
public enum OpenSSFModelSigning {
    /// What a successful verification established.
    public struct Verification: Sendable {
        /// The trusted key that made the signature.
        public let signer: VerifyingKey
        /// The signed manifest, which the files on disk match.
        public let manifest: ModelManifest
    }

    /// Signs the model at `path` with an ECDSA key and returns the bundle's bytes (the signature file).
    ///
    /// `signaturePath`, when it lies inside the model directory, is left out of the manifest and recorded as
    /// ignored, as `model_signing` does, so the signature can live beside the files it covers.
    public static func sign(
        modelAt path: String, with key: SigningKey, signaturePath: String? = nil,
        serialization: OMSSerialization = .files
    ) throws -> [UInt8] {
        let algorithm = try key.verifyingKey.requireOMSAlgorithm(role: "signing key")
        var ignored: [String] = []
        if let signaturePath, let inside = PathResolution.relative(signaturePath, inside: path) {
            ignored.append(inside)
        }
        let manifest = try ModelManifest.hashing(modelAt: path, serialization: serialization, ignoring: ignored)
        let payload = InTotoStatement.encode(manifest)
        let signature = try key.signature(
            for: DSSEEnvelope.pae(payloadType: OMSFormat.payloadType, payload: payload), algorithm: algorithm)
        return SigstoreBundle(
            keyHint: key.verifyingKey.omsKeyHint, payloadType: OMSFormat.payloadType, payload: payload,
            signature: signature
        ).encoded()
    }

    /// What a bundle claims, parsed with every structural check but **without verifying the signature**: for
    /// inspection and fuzzing only; never trust the manifest it returns.
    public static func unverifiedContents(of bundle: [UInt8]) throws -> (keyHint: String?, manifest: ModelManifest) {
        let parsed = try SigstoreBundle(decoding: bundle)
        guard parsed.payloadType == OMSFormat.payloadType else {
            throw SigningError.malformedSignature("DSSE payload type is '\(parsed.payloadType)'")
        }
        return (parsed.keyHint, try InTotoStatement.decode(parsed.payload))
    }

    /// The in-toto statement (DSSE payload) ModelSeal signs for `manifest`.
    public static func statement(for manifest: ModelManifest) -> [UInt8] { InTotoStatement.encode(manifest) }

    /// The manifest in a statement, with every check of `verify` except the signature's.
    public static func manifest(fromStatement bytes: [UInt8]) throws -> ModelManifest {
        try InTotoStatement.decode(bytes)
    }

    /// The bytes of the signature file at `path`, refused past `OMSFormat.maximumBundleLength`.
    public static func readBundle(path: String) throws -> [UInt8] {
        guard access(path, F_OK) == 0 else {
            throw SigningError.unsigned(
                "no signature file at \(path) (sign with `modelseal sign --oms` or model_signing)")
        }
        let input = try InputFile(path: path)
        guard input.isSeekable else { throw IOError.refused(path: path, reason: "is not a regular file") }
        guard input.size <= OMSFormat.maximumBundleLength else {
            throw SigningError.malformedSignature(
                "\(path) is larger than \(OMSFormat.maximumBundleLength >> 20) MiB: not a model signature")
        }
        var bytes = [UInt8](repeating: 0, count: input.size)
        try bytes.withUnsafeMutableBytes { raw in try input.read(into: raw, at: 0) }
        return bytes
    }

    /// Verifies `bundle` (a signature file's bytes) against `trustedKeys`, then that the model at `path` is exactly
    /// the signed manifest: no file missing, none extra, none changed.
    ///
    /// Checks run cheapest first: bundle structure, key hint, signature, statement, and only then the hashing.
    public static func verify(
        modelAt path: String, bundle bytes: [UInt8], trustedKeys: [VerifyingKey], signaturePath: String? = nil
    ) throws -> Verification {
        let bundle = try SigstoreBundle(decoding: bytes)
        let usable = trustedKeys.filter { $0.omsAlgorithm != nil }
        if usable.isEmpty, let first = trustedKeys.first { _ = try first.requireOMSAlgorithm(role: "--trust key") }
        guard bundle.payloadType == OMSFormat.payloadType else {
            throw SigningError.malformedSignature(
                "DSSE payload type is '\(bundle.payloadType)', expected '\(OMSFormat.payloadType)'")
        }
        var candidates = usable
        if let hint = bundle.keyHint {
            candidates = usable.filter { $0.omsKeyHint == hint }
            guard !candidates.isEmpty else {
                throw SigningError.unknownSigner(
                    "the model was signed by the key with hint \(hint), which none of the \(usable.count) --trust "
                        + "key(s) is (their hints: \(usable.map(\.omsKeyHint).joined(separator: ", ")))")
            }
        }
        let message = DSSEEnvelope.pae(payloadType: bundle.payloadType, payload: bundle.payload)
        guard
            let signer = candidates.first(where: { key in
                key.omsAlgorithm.map { key.isValidSignature(bundle.signature, for: message, algorithm: $0) } ?? false
            })
        else {
            throw SigningError.invalidSignature(
                bundle.keyHint == nil
                    ? "no --trust key verifies the bundle's signature"
                    : "the signature does not verify with the key it names: the signature file was altered or damaged")
        }
        let expected = try InTotoStatement.decode(bundle.payload)
        var ignored = expected.ignorePaths
        if let signaturePath, let inside = PathResolution.relative(signaturePath, inside: path) {
            ignored.append(inside)
        }
        let actual = try ModelManifest.hashing(modelAt: path, serialization: expected.serialization, ignoring: ignored)
        let (missing, extra, changed) = expected.differences(from: actual)
        guard missing.isEmpty, extra.isEmpty, changed.isEmpty else {
            func list(_ label: String, _ names: [String]) -> String? {
                guard !names.isEmpty else { return nil }
                let shown = names.prefix(5).map { "'\($0)'" }.joined(separator: ", ")
                return "\(label) \(shown)" + (names.count > 5 ? " and \(names.count - 5) more" : "")
            }
            let parts = [
                list("missing:", missing), list("not in the signature:", extra),
                list("changed since signing:", changed),
            ].compactMap { $0 }
            throw SigningError.manifestMismatch(parts.joined(separator: "; "))
        }
        return Verification(signer: signer, manifest: expected)
    }
}
