import ArgumentParser
import ContainerEngine
import ContainerFormat
import ModelSealCore
import ModelSealKit
import ModelSealSigning

extension ModelSeal {
    /// `modelseal rekey`: change recipients by rewriting the header only.
    struct Rekey: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rekey",
            abstract: "Change the recipients of a sealed file, or rotate its file key (--rotate).",
            discussion: """
                Unlocks the file with any key it already opens with and checks every signature it carries (and
                every chunk against them), then writes a new header: the existing stanzas (minus --remove N, or
                none with --replace) plus one for each new recipient. The payload is copied byte for byte, so the
                file key does not change: a recipient you drop who kept the key, or an old copy of the file, still
                reads and can forge the new file. To retire a leaked key, use --rotate: a new file key, the payload
                re-encrypted in one streaming pass, wrapped only to the recipients you add. A rotated file is a new
                sealing with a new file id (printed): licenses and key servers must be told.

                Signatures cover the header, which rekey rewrites (spec/SIGNATURES.md §6): a signed file (or one
                whose header requires a signer) needs --sign-key, and the new file carries that one signature.
                Stanza numbers are those `modelseal inspect` shows. Use -o with the input's own path and --force to
                rewrite in place (atomically).

                Examples:
                  modelseal rekey -i vendor.key -r modelseal1newcustomer... \\
                      -o model2.mseal model.mseal
                  modelseal rekey --key-env MODEL_KEY --remove 2 --sign-key vendor.key \\
                      -o model.mseal --force model.mseal
                  modelseal rekey --key-env MODEL_KEY --rotate --add-key-env NEW_KEY --sign-key vendor.key \\
                      -o new.mseal model.mseal
                """)

        @OptionGroup(title: "Keys that open the file now") var identities: IdentityOptions

        @Option(
            name: [.customShort("r"), .customLong("recipient")],
            help: ArgumentHelp(
                "Add a public key modelseal1.... Repeatable.", valueName: "RECIPIENT"))
        var recipients: [String] = []

        @Option(
            name: [.customShort("R"), .customLong("recipients-file")],
            help: ArgumentHelp(
                "Add every recipient listed in FILE. Repeatable.", valueName: "FILE"))
        var recipientFiles: [String] = []

        @Option(name: .customLong("add-key-env"), help: ArgumentHelp("Add the raw key in VAR.", valueName: "VAR"))
        var addKeyEnvironment: [String] = []

        @Option(name: .customLong("add-key-file"), help: ArgumentHelp("Add the raw key in FILE.", valueName: "FILE"))
        var addKeyFiles: [String] = []

        @Option(
            name: .customLong("add-passphrase-env"),
            help: ArgumentHelp(
                "Add the passphrase in VAR (the file must not have one already).", valueName: "VAR"))
        var addPassphraseEnvironment: String?

        @Option(
            name: .customLong("remove"),
            help: ArgumentHelp(
                "Drop stanza N (see `inspect`). Repeatable.",
                valueName: "N"))
        var remove: [Int] = []

        @Flag(help: "Drop every existing stanza; only the added recipients remain (the file key stays the same).")
        var replace = false

        @Flag(
            help: ArgumentHelp(
                "Rotate the file key: re-encrypt the payload under a new key wrapped only to the added recipients "
                    + "(retires a leaked key; changes the file id)."))
        var rotate = false

        @OptionGroup(title: "Signing (needed when the input is signed)") var signing: SigningKeyOptions

        @Option(name: .shortAndLong, help: ArgumentHelp("Write the rekeyed file to FILE.", valueName: "FILE"))
        var output: String

        @Argument(help: ArgumentHelp("The sealed file.", valueName: "INPUT"))
        var input: String

        @Flag(name: .shortAndLong, help: "Replace FILE if it exists (also for rewriting in place).")
        var force = false

        func validate() throws {
            if identities.isEmpty {
                throw ValidationError("give a key that opens the file: --key-env, --key-file, -i or --passphrase")
            }
            if replace && !remove.isEmpty {
                throw ValidationError("--replace drops every stanza already: drop --remove")
            }
            if rotate && (replace || !remove.isEmpty) {
                throw ValidationError("--rotate keeps no old stanza (they hold the old key): drop --replace/--remove")
            }
            let adding =
                recipients.count + recipientFiles.count + addKeyEnvironment.count + addKeyFiles.count
                + (addPassphraseEnvironment == nil ? 0 : 1)
            if rotate && adding == 0 {
                throw ValidationError("--rotate needs the recipients of the new key: -r, -R, --add-key-env, ...")
            }
        }

        func run() throws {
            try reportingErrors { try execute() }
        }

        private func execute() throws {
            let file = try SealedFile(try InputFile(path: input))
            let unlocked = try file.unlock(with: try identities.resolve())
            let signer = try signing.resolve()
            let leaves = try verifiedLeaves(of: file, signer: signer?.key)
            let added = try KeyMaterial.recipients(
                keyEnvironment: addKeyEnvironment, keyFiles: addKeyFiles, passphrasePrompt: false,
                passphraseEnvironment: addPassphraseEnvironment, recipients: recipients,
                recipientFiles: recipientFiles, scryptLog2N: ScryptParameters.default.log2N)
            let sink = try OutputFile(.path(output), mode: 0o644, replace: force)
            if rotate {
                let summary = try ContainerEngine.Rekey.rotate(
                    unlocked, to: added, expected: leaves, hashingLeaves: signer != nil, output: sink)
                if let signer {
                    let entry = try FileSignatures.entry(
                        key: signer.key, algorithm: signer.algorithm, headerBytes: summary.headerBytes,
                        payloadLength: summary.payloadLength, leafHashes: summary.leafHashes)
                    try sink.write(
                        contentsOf: SignatureTrailer(leafHashes: summary.leafHashes, entries: [entry]).encoded())
                }
                try sink.commit()
                let newID = summary.fileID
                Terminal.writeError(
                    "rotated: new file key for \(added.count) recipient(s): \(output)\n"
                        + "new file id \(newID) (was \(file.fileID)): licenses and key servers must name the new id")
                return
            }
            let removing = replace ? Set(unlocked.file.header.stanzas.indices) : Set(remove)
            let header = try ContainerEngine.Rekey.rewrite(unlocked, removing: removing, adding: added, to: sink)
            if let signer, let leaves {
                let entry = try FileSignatures.entry(
                    key: signer.key, algorithm: signer.algorithm, headerBytes: header,
                    payloadLength: file.layout.payloadLength, leafHashes: leaves)
                try sink.write(contentsOf: SignatureTrailer(leafHashes: leaves, entries: [entry]).encoded())
            }
            try sink.commit()
            Terminal.writeError(
                "rekeyed: \(unlocked.file.header.stanzas.count - removing.count + added.count) recipient stanza(s): \(output)"
                    + (replace ? " (same file key: use --rotate to retire a leaked key)" : ""))
        }

        /// The chunk hashes to sign the result with: checked against every signature the input carries
        /// (and its required signers) when it is signed; computed when only the new file is to be signed;
        /// nil when nothing is signed. A signed input without --sign-key is refused: its signatures cover
        /// the header rekey rewrites, and its header may require a signer.
        private func verifiedLeaves(of file: SealedFile, signer: SigningKey?) throws -> [[UInt8]]? {
            let required = try file.requiredSignerKeyIDs()
            guard file.trailer != nil || !required.isEmpty else { return try signer.map { _ in try file.leafHashes() } }
            guard let signer else {
                throw CLIError(
                    .usage,
                    "\(input) is signed (or its header requires a signer), and signatures cover the header rekey "
                        + "rewrites: give --sign-key to sign the new file (spec/SIGNATURES.md §6)")
            }
            let leaves = try file.leafHashes()
            _ = try FileSignatures.verify(
                file, trailer: file.trailer, leafHashes: leaves, trustedKeys: [], requiredKeyIDs: required)
            let signerID = signer.verifyingKey.keyID
            if let other = required.first(where: { $0 != signerID }) {
                throw CLIError(
                    .usage,
                    "the header requires a signature by \(FileSignatures.fingerprint(keyID: other)), and the new file "
                        + "would carry only --sign-key's: sign with that key")
            }
            return leaves
        }
    }
}
