import ArgumentParser
import ArticleCompat
import ContainerEngine
import ModelFormats
import ModelSealCore
import ModelSealKit

extension ModelSeal {
    /// `modelseal inspect FILE`: what a file holds, without decrypting or executing anything.
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "inspect",
            abstract: "Show what a file holds: tensors, format and pickle globals, or a sealed file's header.",
            discussion: """
                Reads .pt/.pth/.bin (PyTorch zip or legacy), .safetensors, .npy and .npz files, bare pickles \
                (globals and values only), sealed ModelSeal files and the article's Fernet files (layout and \
                unverified timestamp). The format is detected by content. Only headers, zip directories and \
                pickles are read; nothing in the file is executed.

                For a sealed file, the header facts are UNVERIFIED without a key; with a key option the header MAC \
                is checked and the sealed metadata is shown.

                Examples:
                  modelseal inspect model.pt
                  modelseal inspect --json model.safetensors
                  modelseal inspect --key-env MODEL_KEY model.mseal

                A sealed folder (seal's directory mode) lists its files; with a key its set manifest and every file \
                are checked first (as `open --check` does for the set) and each sealed weight file's tensors are \
                read from its header by verified random access (only the chunks holding the header are decrypted):
                  modelseal inspect --key-env MODEL_KEY gpt2-sealed
                """
        )

        @OptionGroup(title: "Keys (sealed files only: verify the header and show sealed metadata)")
        var identities: IdentityOptions

        @Argument(help: ArgumentHelp("The file or sealed folder to inspect.", valueName: "FILE"))
        var file: String

        @Flag(help: "Print JSON (schema modelseal.inspect/1 for model files, see docs/FOREIGN-FORMATS.md).")
        var json = false

        @Option(
            name: .customLong("allow-global"),
            help: ArgumentHelp(
                "Treat MODULE.NAME as allowed (repeatable).", valueName: "MODULE.NAME"))
        var allowedGlobals: [String] = []

        @Flag(help: "Also compute the CRC-32 of every zip member and report mismatches as warnings.")
        var verifyCRC = false

        func run() throws {
            try reportingErrors(json: json) { try execute() }
        }

        private func execute() throws {
            if SealedFolder.isSealedFolder(file) { return try inspectFolder() }
            let source = try InputFile.regular(path: file)
            let magic = try source.read(at: 0, count: min(source.size, Magic.sealed.count))
            if magic == Magic.sealed {
                let identities = identities.isEmpty ? [] : try identities.resolve()
                if json {
                    try JSONOutput.print(try SealedFileInspection.report(path: file, identities: identities))
                } else {
                    Terminal.writeOutput(
                        try SealedFileInspection.render(path: file, json: false, identities: identities))
                }
                return
            }
            if FernetToken.looksLikeToken(try source.read(at: 0, count: min(source.size, FernetToken.sniffLength))) {
                let report = try FernetFileInspection.report(path: file, source: try InputFile(path: file))
                if json {
                    try JSONOutput.print(report)
                } else {
                    Terminal.writeOutput(FernetFileInspection.render(report))
                }
                return
            }
            let allowlist = PickleAllowlist.torchWeightsOnly.adding(allowedGlobals)
            guard var inspection = try ModelInspection.inspect(source, allowlist: allowlist) else {
                throw ModelFormatsError.unrecognizedFormat(path: file)
            }
            if verifyCRC, inspection.format == .pytorchZip || inspection.format == .npz {
                let archive = try ZipArchive(source: source)
                for entry in archive.entries {
                    if let mismatch = try archive.verifyCRC(entry) { inspection.diagnostics.append(mismatch) }
                }
            }
            if json {
                JSONOutput.print(inspection.json(path: file))
            } else {
                Terminal.writeOutput(InspectionTable.render(inspection, path: file) + "\n")
            }
        }
    }
}
