import ArgumentParser
import ContainerEngine
import ContainerFormat
import ModelFormats
import ModelSealCore
import ModelSealKit
import ModelSealMark
import ModelSealScan
import ModelSealSigning

extension ModelSeal {
    /// `modelseal seal`: encrypt a file for one or more recipients.
    struct Seal: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "seal",
            abstract: "Encrypt a model file for one or more recipients.",
            discussion: """
                Every recipient option adds a recipient; one sealed file serves them all. Any input size works in \
                bounded memory (about 70 MiB), on all cores. The original file name and its detected type are kept \
                in encrypted metadata (--no-metadata to omit them).

                Examples:
                  export MODEL_KEY=$(modelseal keygen --symmetric)
                  modelseal seal --key-env MODEL_KEY -o model.mseal model.pt
                  modelseal seal -r modelseal1... -r modelseal1... -o model.mseal model.pt
                  modelseal seal -R customers.txt --key-env VENDOR_KEY -o model.mseal model.pt
                  cat model.pt | modelseal seal --passphrase -o model.mseal -
                  modelseal seal -R customers.txt --sign-key vendor.key -o model.mseal model.pt
                  modelseal seal --mark acme --secret vendor.mark-secret \\
                    --model-id resnet18-v3 -r modelseal1... -o resnet18-acme.mseal resnet18.pt

                With --mark ID the input (.pt or .safetensors) is marked for customer ID in memory (as \
                `modelseal mark` does), self-checked, sealed, and the mark recorded in the registry; the marked \
                plaintext is never written. Memory then holds the marked tensors (about the model's size).

                A folder as INPUT (a Hugging Face layout: config.json, model-0000k-of-0000n.safetensors, the index, \
                tokenizer files) switches to directory mode: -o must name a new folder, written beside it and renamed \
                into place only when complete. Weights, config.json and *.index.json are sealed as NAME.mseal; other \
                files are copied in clear; modelseal-folder.mseal, a set manifest sealed to the same recipients (and \
                signed with --sign-key), binds every file's name, size and header, so a swapped, missing or extra \
                file is refused when the folder is opened (spec/FOLDERS.md, docs/LARGE-MODELS.md):
                  modelseal seal -R customers.txt --sign-key vendor.key -o gpt2-sealed gpt2/
                """)

        @OptionGroup(title: "Recipients") var recipients: RecipientOptions

        @OptionGroup(title: "Signing (spec/SIGNATURES.md)") var signing: SigningKeyOptions

        @OptionGroup(title: "Environment contract (spec/ENVIRONMENT.md)") var environment: EnvironmentContractOptions

        @Option(
            name: .customLong("mark"),
            help: ArgumentHelp(
                "Mark the model for customer ID while sealing (needs --secret and --model-id; docs/MARKING.md).",
                valueName: "ID"))
        var markCustomer: String?

        @OptionGroup(title: "Mark while sealing (docs/MARKING.md)") var mark: MarkOptions

        @Option(
            name: .customLong("require-signer"),
            help: ArgumentHelp(
                "Make the file unopenable unless also signed by the public key(s) in FILE (e.g. a release manager "
                    + "who signs later with `modelseal sign`). Repeatable.", valueName: "FILE"))
        var requireSigners: [String] = []

        @Option(
            name: .shortAndLong,
            help: ArgumentHelp(
                "Write the sealed file to FILE (created only when complete), or - for standard output.",
                valueName: "FILE"))
        var output: String

        @Argument(
            help: ArgumentHelp(
                "The file to seal, - for standard input, or a model folder (directory mode: -o names a new folder).",
                valueName: "INPUT"))
        var input: String

        @Option(help: "Payload cipher: aes-256-gcm (default) or chacha20-poly1305.")
        var suite = "aes-256-gcm"

        @Option(
            name: .customLong("chunk-size"),
            help: ArgumentHelp(
                "Chunk size, a power of two from 64KiB to 16MiB.", valueName: "SIZE"))
        var chunkSize = "1MiB"

        @Flag(
            name: .customLong("to-safetensors"),
            help: ArgumentHelp(
                "Convert a weights-only PyTorch checkpoint to safetensors in memory and seal that (no pickle "
                    + "reaches the customer; the converted copy is never written in clear)."))
        var toSafetensors = false

        @Flag(
            name: .customLong("no-metadata"), help: "Do not record the input's name and type (encrypted) in the header."
        )
        var noMetadata = false

        @Flag(name: .shortAndLong, help: "Replace FILE if it exists.")
        var force = false

        @Flag(help: "Print a JSON report on standard output.")
        var json = false

        @Flag(name: .shortAndLong, help: "No progress bar.")
        var quiet = false

        func validate() throws {
            if recipients.isEmpty {
                throw ValidationError(
                    "no recipient: give --key-env, --key-file, --passphrase, --passphrase-env, -r or -R")
            }
            guard CipherSuite(name: suite) != nil else {
                throw ValidationError("unknown suite '\(suite)': use aes-256-gcm or chacha20-poly1305")
            }
            guard ChunkSize.log2(of: chunkSize) != nil else {
                throw ValidationError("chunk size '\(chunkSize)' is not a power of two from 64KiB to 16MiB")
            }
            if output == "-" && json {
                throw ValidationError("--json needs -o FILE: standard output carries the sealed file")
            }
            if markCustomer != nil && input == "-" {
                throw ValidationError("--mark needs an input file: a model cannot be marked from standard input")
            }
            if toSafetensors && (input == "-" || markCustomer != nil) {
                throw ValidationError("--to-safetensors needs an input file and cannot be combined with --mark")
            }
            if markCustomer == nil && (mark.secret != nil || mark.modelID != nil) {
                throw ValidationError("--secret and --model-id mark a copy: give --mark ID as well")
            }
        }

        func run() throws {
            ModelSeal.useOneAllocatorArena()
            try reportingErrors(json: json) { try markErrors { try execute() } }
        }

        /// The vendor is told when what they seal would run code on the customer's side (or cannot be judged).
        private func warnUnlessWeightsOnly(_ path: String) {
            let report = Scanner().scan(path: path)
            guard report.skipped == nil, report.verdict != .clean else { return }
            Terminal.writeError(
                "modelseal: warning: \(path) is not weights-only (scan verdict: \(report.verdict.rawValue)): loading it "
                    + "may run code; see `modelseal scan \(path)`")
        }

        private func execute() throws {
            let recipients = try recipients.resolve()
            let signer = try signing.resolve()
            var required = try SigningKeys.trustKeys(paths: requireSigners).map(\.keyID)
            if let signer { required.insert(signer.key.verifyingKey.keyID, at: 0) }
            if output == "-" && Terminal.standardOutputIsTerminal {
                throw CLIError(.outputError, "refusing to write a sealed file to the terminal: use -o FILE or a pipe")
            }
            if input != "-" && FileKind(input) == .directory {
                return try sealFolder(recipients: recipients, signer: signer, required: required)
            }
            if input != "-" { warnUnlessWeightsOnly(input) }
            let marking = try markedInput()
            let source: ByteStream =
                try marking?.model.delivered ?? convertedInput()
                ?? (input == "-" ? try InputFile.standardInput() : try InputFile(path: input))
            let total = (source as? ByteSource)?.size ?? 0
            var prefix = [UInt8](repeating: 0, count: ContentType.sniffLength)
            let sniffed = try prefix.withUnsafeMutableBytes { try source.readFully(into: $0) }
            prefix.removeLast(prefix.count - sniffed)
            var options = SealOptions()
            options.suite = CipherSuite(name: suite) ?? .aes256GCM
            options.chunkLog2 = ChunkSize.log2(of: chunkSize) ?? SealedFormat.defaultChunkLog2
            if !noMetadata {
                options.metadata = [
                    "content-type": ContentType.detect(prefix), "created-by": "modelseal \(ModelSeal.version)",
                ]
                if input != "-" { options.metadata["name"] = Paths.baseName(input) }
            }
            options.hashingLeaves = signer != nil
            if !required.isEmpty {
                guard required.count <= RequiredSigners.maximumCount else {
                    throw CLIError(.usage, "at most \(RequiredSigners.maximumCount) required signers")
                }
                // Stripping the signature then makes the file unopenable (spec/SIGNATURES.md §4).
                options.extensions.append(RequiredSigners.extension(keyIDs: required))
            }
            if let contract = try environment.contract() { options.extensions.append(contract.headerExtension) }
            let progress = ProgressBar.make(label: "sealing", total: total, quiet: quiet || json)
            options.progress = progress?.callback
            let sink = try OutputFile(
                output == "-" ? .standardOutput : .path(output), mode: 0o644, replace: force)
            let clock = Stopwatch()
            let summary = try Sealer.seal(
                PrefixedStream(prefix: prefix, rest: source), to: sink, recipients: recipients, options: options)
            if let signer {
                let entry = try FileSignatures.entry(
                    key: signer.key, algorithm: signer.algorithm, headerBytes: summary.headerBytes,
                    payloadLength: summary.payloadLength, leafHashes: summary.leafHashes)
                try sink.write(contentsOf: SignatureTrailer(leafHashes: summary.leafHashes, entries: [entry]).encoded())
            }
            try sink.commit()
            progress?.finish()
            if let marking {
                try MarkRegistryTarget.record(
                    marking.entry, registry: try mark.registryPath(), version: summary.fileID)
            }
            let seconds = clock.elapsed
            if json {
                try JSONOutput.print(
                    SealReport(
                        output: output, plaintextBytes: summary.plaintextLength,
                        sealedBytes: summary.headerLength + summary.plaintextLength + summary.chunkCount * 16,
                        chunks: summary.chunkCount, recipients: recipients.count, seconds: seconds))
            } else if output != "-" && !quiet {
                Terminal.writeError(
                    "sealed \(summary.plaintextLength) bytes to \(recipients.count) recipient(s) in \(summary.chunkCount) "
                        + "chunk(s): \(output) (\(throughput(bytes: summary.plaintextLength, seconds: seconds)))")
            }
        }
    }
}

extension ModelSeal.Seal {
    /// With --to-safetensors: the weights-only checkpoint converted to safetensors in memory (about the model's
    /// size); a checkpoint holding more than tensors is refused (`modelseal convert` explains the options).
    func convertedInput() throws -> ByteStream? {
        guard toSafetensors else { return nil }
        let sink = MemorySink()
        let report = try ModelConversion.torchToSafetensors(try InputFile(path: input), to: sink)
        if !quiet && !json {
            Terminal.writeError("converted \(report.tensorsWritten) tensor(s) to safetensors in memory")
        }
        return MemorySource(sink.bytes)
    }

    /// With --mark: the input marked in memory and self-checked, and the registry entry to record once sealed.
    func markedInput() throws -> (model: MarkedModel, entry: MarkRegistry.Entry)? {
        guard let markCustomer else { return nil }
        let request = MarkRequest(
            secret: try mark.secretBytes(), modelID: try mark.requiredModelID(), customer: markCustomer,
            parameters: mark.parameters, tierA: mark.tierA)
        let original = try WeightFile.open(try InputFile(path: input))
        let marked = try ModelMarker.mark(original, request)
        let z = try MarkSelfCheck.run(original: original, marked: marked, request: request)
        if !quiet && !json {
            Terminal.writeError(
                "marked \(marked.markedElements) weights in \(marked.tensors.count) tensor(s) for \(markCustomer) "
                    + "(max ‖ΔW‖/‖W‖ \(marked.maxRelativeChange), self-check z = \(z))")
        }
        let entry = MarkRegistry.Entry(
            customer: markCustomer, modelID: request.modelID, tier: marked.tierA == nil ? "B" : "A+B",
            alpha: mark.alpha, minElements: mark.minElements, format: marked.format.rawValue,
            markedTensors: marked.tensors.count, markedWeights: marked.markedElements, selfCheckZ: z)
        return (marked, entry)
    }
}

/// `seal --json` output (schema version 1).
struct SealReport: Encodable {
    var schema = 1
    let output: String
    let plaintextBytes: Int
    let sealedBytes: Int
    let chunks: Int
    let recipients: Int
    let seconds: Double
}

/// Parses sizes like `1MiB`, `64KiB`, `1048576`.
enum ChunkSize {
    static func log2(of text: String) -> UInt8? {
        let lower = text.lowercased()
        let units: [(String, Int)] = [("mib", 20), ("m", 20), ("kib", 10), ("k", 10)]
        var number = Substring(lower)
        var shift = 0
        for (suffix, bits) in units where lower.hasSuffix(suffix) {
            number = lower.dropLast(suffix.count)
            shift = bits
            break
        }
        guard let value = Int(number), value > 0, value.nonzeroBitCount == 1 else { return nil }
        let exponent = value.trailingZeroBitCount + shift
        guard (Int(SealedFormat.minimumChunkLog2)...Int(SealedFormat.maximumChunkLog2)).contains(exponent) else {
            return nil
        }
        return UInt8(exponent)
    }
}
