import ArgumentParser
import ContainerEngine
import ModelSealCore
import ModelSealKit

extension ModelSeal {
    /// `modelseal rekey`: change recipients by rewriting the header only.
    struct Rekey: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rekey",
            abstract: "Add or remove recipients of a sealed file without re-encrypting its payload.",
            discussion: """
                Unlocks the file with any key it already opens with, then writes a new header: the existing stanzas \
                (minus --remove N, or none with --replace) plus one for each new recipient. The payload is copied \
                byte for byte. Stanza numbers are those `modelseal inspect` shows. Use -o with the input's own path \
                and --force to rewrite in place (atomically).

                Examples:
                  modelseal rekey -i vendor.key -r modelseal1newcustomer... \\
                      -o model2.mseal model.mseal
                  modelseal rekey --key-env MODEL_KEY --remove 2 \\
                      -o model.mseal --force model.mseal
                  modelseal rekey --key-env MODEL_KEY --replace --add-key-env NEW_KEY \\
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

        @Flag(help: "Drop every existing stanza; only the added recipients remain.")
        var replace = false

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
        }

        func run() throws {
            try reportingErrors { try execute() }
        }

        private func execute() throws {
            let unlocked = try SealedFile(try InputFile(path: input)).unlock(with: try identities.resolve())
            let added = try KeyMaterial.recipients(
                keyEnvironment: addKeyEnvironment, keyFiles: addKeyFiles, passphrasePrompt: false,
                passphraseEnvironment: addPassphraseEnvironment, recipients: recipients,
                recipientFiles: recipientFiles, scryptLog2N: ScryptParameters.default.log2N)
            let removing = replace ? Set(unlocked.file.header.stanzas.indices) : Set(remove)
            let sink = try OutputFile(.path(output), mode: 0o644, replace: force)
            try ContainerEngine.Rekey.rewrite(unlocked, removing: removing, adding: added, to: sink)
            try sink.commit()
            Terminal.writeError(
                "rekeyed: \(unlocked.file.header.stanzas.count - removing.count + added.count) recipient stanza(s): \(output)"
            )
        }
    }
}
