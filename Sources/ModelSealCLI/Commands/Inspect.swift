import ArgumentParser

extension ModelSeal {
    /// `modelseal inspect`: what a file is, without decrypting or executing anything.
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what a file holds without decrypting or executing anything.",
            discussion: """
                For a sealed file: format, cipher, chunking, recipient stanzas and extensions. Without a key these
                facts are UNVERIFIED; with a key option the header MAC is checked and the sealed metadata shown.

                Examples:
                  modelseal inspect model.mseal
                  modelseal inspect --key-env MODEL_KEY --json model.mseal
                """)

        @OptionGroup(title: "Keys (optional: verify the header and show sealed metadata)") var identities: IdentityOptions

        @Argument(help: ArgumentHelp("The file to inspect.", valueName: "FILE"))
        var file: String

        @Flag(help: "Print a JSON report (versioned schema) on standard output.")
        var json = false

        func run() throws {
            try reportingErrors { try execute() }
        }

        private func execute() throws {
            let identities = identities.isEmpty ? [] : try identities.resolve()
            if json {
                try JSONOutput.print(try SealedFileInspection.report(path: file, identities: identities))
            } else {
                Terminal.writeOutput(try SealedFileInspection.render(path: file, json: false, identities: identities))
            }
        }
    }
}
