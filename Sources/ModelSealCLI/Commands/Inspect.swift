import ArgumentParser
import ModelFormats

extension ModelSeal {
    /// `modelseal inspect FILE`: tensors, totals, format and globals, without executing anything.
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the tensors, format and pickle globals of a model file.",
            discussion: """
                Reads .pt/.pth/.bin (PyTorch zip or legacy), .safetensors, .npy and .npz files, bare \
                pickles (globals and values only), and \
                sealed ModelSeal files (header view). Only headers, zip directories and pickles are \
                read; nothing in the file is executed.
                """
        )

        @Argument(help: "The model file.")
        var file: String

        @Flag(help: "Print JSON (schema modelseal.inspect/1, see docs/FORMATS.md).")
        var json = false

        @Option(name: .customLong("allow-global"), help: "Treat module.name as allowed (repeatable).")
        var allowedGlobals: [String] = []

        @Flag(help: "Also compute the CRC-32 of every zip member and report mismatches as warnings.")
        var verifyCRC = false

        func run() throws {
            let source: FileByteSource
            do {
                source = try FileByteSource(path: file)
            } catch let error as ModelFormatsError {
                throw FormatFailure.exit(for: error, input: file)
            }
            do {
                let magic = try source.read(at: 0, count: min(source.size, ModelFileFormat.sealedMagic.count))
                if magic == ModelFileFormat.sealedMagic {
                    print(try SealedFileInspection.render(path: file, json: json))
                    return
                }
                let allowlist = PickleAllowlist.torchWeightsOnly.adding(allowedGlobals)
                guard var inspection = try ModelInspection.inspect(source, allowlist: allowlist) else {
                    throw FormatFailure.exit(for: ModelFormatsError.unrecognizedFormat(path: file), input: file)
                }
                if verifyCRC, inspection.format == .pytorchZip || inspection.format == .npz {
                    let archive = try ZipArchive(source: source)
                    for entry in archive.entries {
                        if let mismatch = try archive.verifyCRC(entry) { inspection.diagnostics.append(mismatch) }
                    }
                }
                print(
                    json
                        ? JSONWriter.serialize(inspection.json(path: file), pretty: true)
                        : InspectionTable.render(inspection, path: file))
            } catch let error as ModelFormatsError {
                throw FormatFailure.exit(for: error, input: file)
            }
        }
    }
}
