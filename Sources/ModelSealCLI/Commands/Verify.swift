import ArgumentParser
import ContainerEngine
import ContainerFormat
import ModelSealCore
import ModelSealKeys
import ModelSealKit
import ModelSealSigning

extension ModelSeal {
    /// `modelseal verify`: check signatures without any decryption key.
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check a sealed file's signatures against trusted public keys (no decryption key needed).",
            discussion: """
                Hashes every ciphertext chunk on all cores, checks every signature in the file (or in a detached \
                signature file), and that one of them is by a trusted key: from --trust, else from the trust store \
                ($MODELSEAL_TRUST or ~/.config/modelseal/trust/). With neither it exits 26 (no trust), so \
                `verify x && deploy` never passes a file anyone could have signed; --allow-unsigned checks only \
                that present signatures are intact. Exit codes 20-24 tell unsigned, untrusted signer, invalid \
                signature, bad key and malformed signature apart.

                Examples:
                  modelseal verify --trust vendor.key.pub model.mseal
                  modelseal verify --trust vendor.key.pub --signature model.mseal.sig \\
                      model.mseal
                  modelseal verify --rsa-pkcs1v15 --trust vendor_pub.pem \\
                      --signature model.enc.sig model.enc

                With --oms, verifies a plain model file or directory against an OpenSSF model signature \
                (sigstore/model-transparency, key mode), such as `model_signing sign key` writes; exit code 25 \
                means files are missing, extra or changed:
                  modelseal verify --oms --trust ec.pub --signature model.sig MODEL_DIR

                A sealed folder (seal's directory mode) has every sealed file's signature checked, the set manifest's \
                included; which files belong to the set is inside the sealed manifest, so the set itself (missing, \
                extra, swapped files) is checked with a key: `modelseal open --check -i KEY FOLDER`.
                """)

        @Flag(
            name: .customLong("oms"), help: "Verify a plain model file or directory against an OpenSSF model signature."
        )
        var oms = false

        @OptionGroup(title: "Signatures") var trust: TrustOptions

        @Argument(
            help: ArgumentHelp(
                "The sealed file, a bundle (.mspkg), or with --oms/--rsa-pkcs1v15 the model file or directory.",
                valueName: "FILE"))
        var file: String

        @Flag(help: "Print a JSON report on standard output.")
        var json = false

        @Flag(
            name: .customLong("rsa-pkcs1v15"),
            help: ArgumentHelp(
                "Check a detached RSA PKCS#1 v1.5 SHA-256 signature over FILE's bytes (the article's sign_file); "
                    + "needs --trust and --signature."))
        var rsaPKCS1v15 = false

        func validate() throws {
            if oms && rsaPKCS1v15 { throw ValidationError("--oms and --rsa-pkcs1v15 are different formats: pick one") }
            if oms { try validateOMS() }
        }

        func run() throws {
            try reportingErrors(json: json) { try execute() }
        }

        private func execute() throws {
            if rsaPKCS1v15 { return try verifyDetachedRSA() }
            if oms { return try executeOMS() }
            if BundleVerification.recognizes(file) {
                return try BundleVerification.verify(file, trust: trust.keysForVerifying, json: json)
            }
            if FileKind(file) == .directory { return try verifyFolder() }
            let sealed = try SealedFile(try InputFile(path: file))
            var opener = ModelOpener(identities: [])
            opener.detachedSignature = try trust.signature.map { Array(try KeyFiles.read($0)) }
            guard let trailer = try opener.signatureTrailer(of: sealed) else {
                throw SigningError.unsigned("\(file) carries no signature (give a detached one with --signature)")
            }
            let trusted = try trust.keysForVerifying()
            let signers = try FileSignatures.verify(
                sealed, trailer: trailer, leafHashes: try sealed.leafHashes(), trustedKeys: trusted, requiredKeyIDs: [])
            let required = (try? sealed.requiredSignerKeyIDs()) ?? []
            if json {
                try JSONOutput.print(
                    VerifyReport(
                        file: file, valid: true, signers: signers.map(SignerReport.init),
                        requiredSignersUnverified: required.map(FileSignatures.fingerprint(keyID:))))
                return
            }
            for signer in signers {
                Terminal.writeOutput(
                    "valid \(signer.algorithm) signature by \(signer.key.fingerprint) (\(signer.key.typeName))"
                        + (signer.trusted ? ", trusted\n" : "\n"))
            }
            if trusted.isEmpty {
                Terminal.writeError(
                    "note: --allow-unsigned: the signatures are intact, but nothing says who made them; "
                        + "compare the fingerprints with the vendor's out of band")
            }
            if !required.isEmpty {
                Terminal.writeError(
                    "the header asks for signatures by \(required.map(FileSignatures.fingerprint(keyID:)).joined(separator: ", ")) "
                        + "(unverified without a decryption key; `open` enforces it)")
            }
        }
    }
}

/// `verify --json` output (schema version 1).
struct VerifyReport: Encodable {
    var schema = 1
    let file: String
    let valid: Bool
    let signers: [SignerReport]
    let requiredSignersUnverified: [String]
}
