import ArgumentParser
import ArticleCompat
import ContainerEngine
import ModelSealCore
import ModelSealKeys
import ModelSealKit
import ModelSealSigning

extension ModelSeal {
    /// `modelseal open`: decrypt a sealed file after authenticating all of it.
    struct Open: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "open",
            abstract: "Decrypt a sealed file; nothing is released unless every chunk authenticates.",
            discussion: """
                With -o FILE the plaintext goes to an unnamed temporary file in FILE's directory that is linked \
                into place only after the last chunk verified: a wrong key, a flipped bit or a truncated file \
                leaves nothing behind. With -o - every chunk is verified first, then decrypted again to standard \
                output, each chunk compared with the first pass before it is written (so nothing unverified reaches \
                a pipe; a file changed meanwhile stops the stream short with exit 16: check the exit status, e.g. \
                set -o pipefail). --check verifies without writing anything. Plaintext output files get mode 0600.

                Signatures: with --trust, or else a trust store ($MODELSEAL_TRUST or ~/.config/modelseal/trust/), \
                nothing is released unless a trusted key signed the file; --allow-unsigned opts out. A licensed \
                open always requires the license's signer.

                Examples:
                  modelseal open --key-env MODEL_KEY -o model.pt model.mseal
                  modelseal open -i customer.key -o - model.mseal | python serve.py
                  modelseal open -i customer.key --check model.mseal
                  # a sealed folder: the set manifest and every file checked
                  modelseal open -i customer.key --check gpt2-sealed
                  modelseal open -i customer.key -o gpt2-plain gpt2-sealed
                  # the article's Fernet file, recognised by its content:
                  modelseal open --key-env MODEL_KEY -o model.pt model.enc
                """)

        @OptionGroup(title: "Keys (all are tried)") var identities: IdentityOptions

        @OptionGroup(title: "Signatures (checked before any plaintext is released)") var trust: TrustOptions

        @Option(
            help: ArgumentHelp(
                "Open with a machine-bound license (from `license issue`) instead of a key (docs/LICENSING.md).",
                valueName: "FILE"))
        var license: String?

        @Option(
            help: ArgumentHelp(
                "Get the file's key from the vendor's key server this machine activated with (`modelseal activate`; "
                    + "docs/SERVER.md).", valueName: "URL"))
        var server: String?

        @Option(
            name: .shortAndLong,
            help: ArgumentHelp(
                "Write the plaintext to FILE (linked into place when verified), or - for standard output.",
                valueName: "FILE"))
        var output: String?

        @Argument(
            help: ArgumentHelp(
                "The sealed file, - for standard input (spooled, still verified first), or a sealed folder.",
                valueName: "INPUT"))
        var input: String

        @Flag(help: "Verify the key and every chunk; write nothing.")
        var check = false

        @Flag(name: .shortAndLong, help: "Replace FILE if it exists.")
        var force = false

        @Flag(help: "Print a JSON report on standard output (not with -o -).")
        var json = false

        @Flag(name: .shortAndLong, help: "No progress bar or summary line.")
        var quiet = false

        func validate() throws {
            if identities.isEmpty && license == nil && server == nil {
                throw ValidationError(
                    "no key: give --key-env, --key-file, -i, --passphrase, --passphrase-env, --license or --server")
            }
            if server != nil && (!identities.isEmpty || license != nil) {
                throw ValidationError("--server gives the key: drop the other key options and --license")
            }
            if !identities.isEmpty && license != nil {
                throw ValidationError("--license is the key: drop the other key options")
            }
            if check == (output != nil) {
                throw ValidationError(check ? "--check writes nothing: drop -o" : "give -o FILE, -o - or --check")
            }
            if output == "-" && json {
                throw ValidationError("--json needs -o FILE or --check: standard output carries the model")
            }
        }

        func run() throws {
            try reportingErrors(json: json) { try execute() }
        }

        /// The opener with its keys: a key release from `--server` for `source`, else the key options.
        private func opener(source: InputFile? = nil) throws -> ModelOpener {
            let keys: [Identity] =
                if let server, let source { [try ServerKeyRelease.identity(server: server, source: source)] } else {
                    license == nil ? try identities.resolve() : []
                }
            var opener = ModelOpener(identities: keys)
            opener.license = try license.map { try LicenseGate(path: $0, use: check ? .verify : .file) }
            opener.trustedKeys = try trust.keysForOpening()
            opener.detachedSignature = try trust.signature.map { Array(try KeyFiles.read($0)) }
            return opener
        }

        private func execute() throws {
            identities.applyPermissionPolicy()
            if input != "-" && SealedFolder.isSealedFolder(input) {
                if server != nil {
                    throw CLIError(.usage, "--server opens one sealed file; a sealed folder needs a key")
                }
                return try openFolder(try opener())
            }
            let source =
                input == "-" ? try InputFile.spooling(try InputFile.standardInput()) : try InputFile(path: input)
            if try FernetToken.looksLikeToken(source) {
                if server != nil {
                    throw CLIError(.inputError, "--server opens sealed files (.mseal), not Fernet tokens")
                }
                return try openFernet(source)
            }
            var opener = try opener(source: source)
            let bar = ProgressBar.make(label: check ? "verifying" : "opening", total: source.size, quiet: quiet || json)
            opener.progress = bar?.callback
            let clock = Stopwatch()
            let result: ModelOpener.Result
            if let output {
                if output == "-" && Terminal.standardOutputIsTerminal {
                    throw CLIError(.outputError, "refusing to write a model to the terminal: use -o FILE or a pipe")
                }
                let sink = try OutputFile(output == "-" ? .standardOutput : .path(output), mode: 0o600, replace: force)
                result = try opener.open(source, to: sink, sinkReleasesImmediately: sink.isStreaming)
                try sink.commit()
            } else {
                result = try opener.open(source, to: DiscardingSink(), sinkReleasesImmediately: false)
            }
            for warning in result.licenseWarnings {
                Terminal.writeError("modelseal: warning: runtime guard: \(warning)")
            }
            let total = result.plaintextLength
            let file = result.file
            bar?.finish()
            let seconds = clock.elapsed
            if json {
                try JSONOutput.print(
                    OpenReport(
                        output: output, verified: true, plaintextBytes: total, chunks: file.layout.chunkCount,
                        metadata: result.metadata, signers: result.signers.map(SignerReport.init), seconds: seconds))
            } else if output != "-" && !quiet {
                for signer in result.signers {
                    Terminal.writeError(
                        "signed by \(signer.key.fingerprint) (\(signer.algorithm)\(signer.trusted ? ", trusted" : ""))")
                }
                let verb = check ? "verified" : "opened"
                Terminal.writeError(
                    "\(verb) \(total) bytes in \(file.layout.chunkCount) chunk(s)\(output.map { ": \($0)" } ?? "") "
                        + "(\(throughput(bytes: total, seconds: seconds)))")
            }
        }
    }
}

/// `open --json` output (schema version 1).
struct OpenReport: Encodable {
    var schema = 1
    let output: String?
    let verified: Bool
    let plaintextBytes: Int
    let chunks: Int
    let metadata: [String: String]
    let signers: [SignerReport]
    let seconds: Double
}

/// A verified signature in JSON reports.
struct SignerReport: Encodable {
    let fingerprint: String
    let algorithm: String
    let keyType: String
    let trusted: Bool

    init(_ signer: VerifiedSigner) {
        fingerprint = signer.key.fingerprint
        algorithm = signer.algorithm.description
        keyType = signer.key.typeName
        trusted = signer.trusted
    }
}
