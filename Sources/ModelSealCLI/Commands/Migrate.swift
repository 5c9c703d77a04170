import ArgumentParser
import ArticleCompat
import ContainerEngine
import ContainerFormat
import ModelSealCore
import ModelSealKeys
import ModelSealKit
import ModelSealSigning

extension ModelSeal {
    /// `modelseal migrate`: re-seal the article's Fernet file as a ModelSeal file, streaming.
    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "migrate",
            abstract: "Convert a Fernet-encrypted model (the article's .enc file) into a sealed ModelSeal file.",
            discussion: """
                Authenticates the whole Fernet token first (HMAC), then decrypts it a second time straight into the \
                sealer: no plaintext touches the disk, memory stays bounded, and a file changed between the two \
                passes is refused. The new file is sealed to the key that opened the old one (used ModelSeal's way, \
                through HKDF) plus every recipient added with -r, -R, --add-key-env, --add-key-file or \
                --add-passphrase-env; --replace leaves the old key out. Like `rekey`, the key options name the key \
                that opens the input; the --add-* options name recipients of the output.

                That key has been used in the article's format: rotate to a new key or to X25519 recipients.

                Examples:
                  modelseal migrate --key-env MODEL_KEY -o model.mseal model.enc
                  export NEW_KEY=$(modelseal keygen --symmetric)
                  modelseal migrate --key-env MODEL_KEY --replace --add-key-env NEW_KEY \\
                      -o model.mseal model.enc
                  modelseal migrate --key-env MODEL_KEY --replace -R customers.txt \\
                      --sign-key vendor.key -o model.mseal model.enc
                """)

        @OptionGroup(title: "The key that opens the Fernet file") var keys: FernetKeyOptions

        @Option(
            name: [.customShort("r"), .customLong("recipient")],
            help: ArgumentHelp(
                "Add a public key modelseal1... as a recipient of the new file. Repeatable.", valueName: "RECIPIENT"))
        var recipients: [String] = []

        @Option(
            name: [.customShort("R"), .customLong("recipients-file")],
            help: ArgumentHelp(
                "Add every recipient listed in FILE. Repeatable.", valueName: "FILE"))
        var recipientFiles: [String] = []

        @Option(
            name: .customLong("add-key-env"),
            help: ArgumentHelp(
                "Add the raw key in VAR (e.g. from `modelseal keygen --symmetric`).", valueName: "VAR"))
        var addKeyEnvironment: [String] = []

        @Option(name: .customLong("add-key-file"), help: ArgumentHelp("Add the raw key in FILE.", valueName: "FILE"))
        var addKeyFiles: [String] = []

        @Option(
            name: .customLong("add-passphrase-env"),
            help: ArgumentHelp(
                "Add the passphrase in VAR.", valueName: "VAR"))
        var addPassphraseEnvironment: String?

        @Flag(
            help: "Do not seal to the key that opened the Fernet file; only the added recipients can open the result.")
        var replace = false

        @OptionGroup(title: "Signing (spec/SIGNATURES.md)") var signing: SigningKeyOptions

        @Option(
            name: .shortAndLong,
            help: ArgumentHelp(
                "Write the sealed file to FILE (created only when complete), or - for standard output.",
                valueName: "FILE"))
        var output: String

        @Argument(
            help: ArgumentHelp(
                "The Fernet file (save_encrypted_model output), or - for standard input (spooled, still encrypted).",
                valueName: "INPUT"))
        var input: String

        @Flag(name: .shortAndLong, help: "Replace FILE if it exists.")
        var force = false

        @Flag(name: .shortAndLong, help: "No summary or key-rotation note.")
        var quiet = false

        var hasAddedRecipients: Bool {
            !recipients.isEmpty || !recipientFiles.isEmpty || !addKeyEnvironment.isEmpty || !addKeyFiles.isEmpty
                || addPassphraseEnvironment != nil
        }

        func validate() throws {
            if keys.isEmpty { throw ValidationError("give the Fernet key: --key-env VAR or --key-file FILE") }
            if replace && !hasAddedRecipients {
                throw ValidationError(
                    "--replace leaves no recipient: add one with -r, -R, --add-key-env, --add-key-file or --add-passphrase-env"
                )
            }
        }

        func run() throws {
            ModelSeal.useOneAllocatorArena()
            try reportingErrors { try execute() }
        }

        private func execute() throws {
            let rawKeys = try keys.rawKeys()
            let fernetKeys = try FernetKeys.fernetKeys(rawKeys)
            var added = try KeyMaterial.recipients(
                keyEnvironment: addKeyEnvironment, keyFiles: addKeyFiles, passphrasePrompt: false,
                passphraseEnvironment: addPassphraseEnvironment, recipients: recipients, recipientFiles: recipientFiles,
                scryptLog2N: ScryptParameters.default.log2N)
            let signer = try signing.resolve()
            if output == "-" && Terminal.standardOutputIsTerminal {
                throw CLIError(.outputError, "refusing to write a sealed file to the terminal: use -o FILE or a pipe")
            }
            let source =
                input == "-" ? try InputFile.spooling(try InputFile.standardInput()) : try InputFile(path: input)
            guard try FernetToken.looksLikeToken(source) else {
                throw FernetError.malformedText(
                    offset: 0,
                    reason:
                        "the input does not start like a Fernet token ('gAAAAA...'); a ModelSeal file is re-keyed with `modelseal rekey`"
                )
            }
            let clock = Stopwatch()
            let verified = try FernetFile(source).verify(with: fernetKeys)
            if !replace { added.insert(rawKeys[verified.keyIndex], at: 0) }
            let plaintext = verified.plaintext()
            var prefix = [UInt8](repeating: 0, count: ContentType.sniffLength)
            let sniffed = try prefix.withUnsafeMutableBytes { try plaintext.readFully(into: $0) }
            prefix.removeLast(prefix.count - sniffed)
            var options = SealOptions()
            options.metadata = [
                "content-type": ContentType.detect(prefix), "created-by": "modelseal \(ModelSeal.version) migrate",
                "migrated-from": "fernet",
            ]
            if input != "-" { options.metadata["name"] = Paths.baseName(input) }
            if let signer {
                options.extensions.append(RequiredSigners.extension(keyIDs: [signer.key.verifyingKey.keyID]))
                options.hashingLeaves = true
            }
            let sink = try OutputFile(output == "-" ? .standardOutput : .path(output), mode: 0o644, replace: force)
            let summary = try Sealer.seal(
                PrefixedStream(prefix: prefix, rest: plaintext), to: sink, recipients: added, options: options)
            if let signer {
                let entry = try FileSignatures.entry(
                    key: signer.key, algorithm: signer.algorithm, headerBytes: summary.headerBytes,
                    payloadLength: summary.payloadLength, leafHashes: summary.leafHashes)
                try sink.write(contentsOf: SignatureTrailer(leafHashes: summary.leafHashes, entries: [entry]).encoded())
            }
            try sink.commit()
            guard !quiet else { return }
            Terminal.writeError(
                "migrated \(summary.plaintextLength) bytes from the Fernet file (made \(utcTimestamp(seconds: verified.timestamp))) "
                    + "to \(added.count) recipient(s)\(output == "-" ? "" : ": \(output)") "
                    + "(\(throughput(bytes: summary.plaintextLength, seconds: clock.elapsed)))")
            if !replace {
                Terminal.writeError(
                    """
                    note: \(output == "-" ? "the output" : output) is sealed to the same key as the Fernet file: everyone who \
                    was given that key opens it too. Rotate to a new key:
                      export NEW_KEY=$(modelseal keygen --symmetric)
                      modelseal rekey \(keys.keyEnvironment.first.map { "--key-env \($0)" } ?? "--key-file KEY") \
                    --replace --add-key-env NEW_KEY -o NEW.mseal \(output == "-" ? "FILE.mseal" : output)
                    or seal to customers' X25519 keys instead (`modelseal keygen`, then -r modelseal1... --replace).
                    """)
            }
        }
    }
}
