import ArgumentParser
import ModelFormats
import ModelSealCore
import ModelSealKit

extension ModelSeal {
    /// `modelseal convert IN OUT`: PyTorch checkpoint ⇄ safetensors, streaming.
    struct Convert: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "convert",
            abstract: "Convert PyTorch checkpoints to or from .safetensors.",
            discussion: """
                The direction comes from the output name (.safetensors, or .pt/.pth/.bin) or --to. \
                A checkpoint converted to .pt is rewritten as a plain zip-format state_dict (legacy \
                files become zip files; shared storages and views are kept). \
                Only pure tensor data converts: files with other values are refused unless \
                --drop-non-tensor-data is given; tensors sharing a storage are refused unless \
                --alias-shared is given (one copy is stored, aliases go into __metadata__).

                Examples:
                  modelseal convert model.pt model.safetensors
                  modelseal convert -f --alias-shared --drop-non-tensor-data \\
                      checkpoint.pth weights.safetensors
                  modelseal convert weights.safetensors model.pt
                """
        )

        enum Target: String, ExpressibleByArgument, CaseIterable {
            case pt, safetensors
        }

        @Argument(help: "Input file.")
        var input: String

        @Argument(help: "Output file (written atomically).")
        var output: String

        @Option(help: "Output format: pt or safetensors (default: from the output name).")
        var to: Target?

        @Flag(name: .customLong("alias-shared"), help: "Store shared storages once and record aliases in __metadata__.")
        var aliasShared = false

        @Flag(name: .customLong("drop-non-tensor-data"), help: "Drop values that are not tensors instead of refusing.")
        var dropNonTensorData = false

        @Flag(name: .shortAndLong, help: "Overwrite the output if it exists.")
        var force = false

        func target() -> Target? {
            if let to { return to }
            let lower = output.lowercased()
            if lower.hasSuffix(".safetensors") { return .safetensors }
            if lower.hasSuffix(".pt") || lower.hasSuffix(".pth") || lower.hasSuffix(".bin") { return .pt }
            return nil
        }

        func validate() throws {
            guard target() != nil else {
                throw ValidationError(
                    "cannot tell the output format from \"\(output)\"; pass --to pt or --to safetensors")
            }
            guard input != output else { throw ValidationError("input and output are the same file") }
        }

        func run() throws {
            try reportingErrors { try execute() }
        }

        private func execute() throws {
            guard let target = target() else { throw ExitCode(64) }
            let source = try InputFile.regular(path: input)
            let options = ModelConversion.Options(
                aliasSharedStorages: aliasShared, dropNonTensorData: dropNonTensorData)
            let format = try ModelFileFormat.detect(source)
            let expected: [ModelFileFormat] =
                target == .safetensors ? [.pytorchZip, .pytorchLegacy] : [.safetensors, .pytorchZip, .pytorchLegacy]
            guard let format, expected.contains(format) else {
                let what = format.map { "a \($0.rawValue) file" } ?? "not a recognised model file"
                let wanted =
                    target == .safetensors ? "a PyTorch checkpoint" : "a safetensors file or a PyTorch checkpoint"
                throw StatusError(
                    .modelMalformed, "\(input): is \(what); converting to \(target.rawValue) needs \(wanted)")
            }
            // An unnamed file linked under `output` only when complete: a failure leaves nothing.
            let sink: OutputFile
            do throws(IOError) {
                sink = try OutputFile(.path(output), mode: 0o644, replace: force)
            } catch {
                throw StatusError(.outputError, "cannot write \(output): \(error)")
            }
            let report: ModelConversion.Report
            switch (target, format) {
            case (.safetensors, _): report = try ModelConversion.torchToSafetensors(source, to: sink, options: options)
            case (.pt, .safetensors):
                report = try ModelConversion.safetensorsToTorch(source, to: sink, options: options)
            default: report = try ModelConversion.torchToTorch(source, to: sink, options: options)
            }
            do throws(IOError) {
                try sink.commit()
            } catch {
                throw StatusError(.outputError, "cannot write \(output): \(error)")
            }
            var summary = "wrote \(output): \(report.tensorsWritten) tensor(s), \(report.bytesWritten) bytes"
            if !report.aliases.isEmpty { summary += "; aliases recorded: \(report.aliases.joined(separator: ", "))" }
            if !report.dropped.isEmpty { summary += "; dropped: \(report.dropped.prefix(10).joined(separator: ", "))" }
            print(summary)
        }
    }
}
