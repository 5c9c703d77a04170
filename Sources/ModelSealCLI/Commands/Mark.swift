import ArgumentParser
import ModelSealCore
import ModelSealKit
import ModelSealMark

extension ModelSeal {
    /// `modelseal mark`: a per-customer Tier B copy of a .pt or .safetensors file (docs/MARKING.md).
    struct Mark: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mark",
            abstract: "Write a copy of a model carrying a customer's invisible mark (leak forensics).",
            discussion: """
                Tier B: every fp32/fp16/bf16 tensor of rank ≥ 2 with at least --min-elements elements moves by \
                ±alpha × its row's RMS, in a pattern only the secret, the model id and the customer id produce \
                (spec/MARK.md). Refused when a 32-bit tensor changes by more than 1e-3 (‖ΔW‖/‖W‖) or a 16-bit \
                element by more than one ulp. The output has the input's format; every other byte is unchanged \
                (zip checksums are updated). With --tier-a, a built-in template (torchvision ResNet blocks, \
                GPT-2, BERT) also permutes hidden units so that the permutations spell the customer's \
                Reed–Solomon coded fingerprint; outputs are unchanged up to summation order. The mark is recorded \
                in the registry. Use `modelseal seal --mark` to \
                deliver a sealed marked copy without writing the marked plaintext.

                Example:
                  head -c 32 /dev/urandom > vendor.mark-secret
                  modelseal mark --secret vendor.mark-secret --customer acme \\
                    --model-id resnet18-v3 -o resnet18-acme.pt resnet18.pt
                """)

        @OptionGroup(title: "Mark") var mark: MarkOptions

        @Option(help: ArgumentHelp("The customer's id (as in the registry).", valueName: "ID"))
        var customer: String

        @Option(
            name: .shortAndLong, help: ArgumentHelp("The marked copy (created only when complete).", valueName: "FILE"))
        var output: String

        @Argument(help: ArgumentHelp("The model: .pt (zip or legacy) or .safetensors.", valueName: "INPUT"))
        var input: String

        @Flag(name: .shortAndLong, help: "Replace the output if it exists.")
        var force = false

        @Flag(help: "Print a JSON report on standard output.")
        var json = false

        func run() throws {
            try reportingErrors { try markErrors { try execute() } }
        }

        private func execute() throws {
            guard input != output else { throw CLIError(.usage, "input and output are the same file") }
            let request = MarkRequest(
                secret: try mark.secretBytes(), modelID: try mark.requiredModelID(), customer: customer,
                parameters: mark.parameters, tierA: mark.tierA)
            let clock = Stopwatch()
            let original = try WeightFile.open(try InputFile(path: input))
            let marked = try ModelMarker.mark(original, request)
            let markSeconds = clock.elapsed
            let z = try MarkSelfCheck.run(original: original, marked: marked, request: request)
            let sink = try OutputFile(.path(output), mode: 0o644, replace: force)
            try marked.delivered.write(to: sink)
            try sink.commit()
            try MarkRegistryTarget.record(
                MarkRegistry.Entry(
                    customer: customer, modelID: request.modelID, tier: marked.tierA == nil ? "B" : "A+B",
                    alpha: mark.alpha, minElements: mark.minElements, format: marked.format.rawValue,
                    markedTensors: marked.tensors.count,
                    markedWeights: marked.markedElements, selfCheckZ: z),
                registry: try mark.registryPath())
            let report = MarkReport(
                marked: marked, output: output, customer: customer, selfCheckZ: z, seconds: markSeconds)
            if json {
                try JSONOutput.print(report)
            } else {
                Terminal.writeError(report.summary)
            }
        }
    }
}

/// `mark --json` (and `seal --mark --json`'s mark part): what was marked and how much it moved.
struct MarkReport: Encodable {
    struct Tensor: Encodable {
        let name: String
        let dtype: String
        let relativeChange: Double
        let maxUlps: Int
        let changedElements: Int
    }

    var schema = 1
    let output: String
    let customer: String
    let format: String
    let markedTensors: Int
    let markedWeights: Int
    let maxRelativeChange: Double
    let maxUlps: Int
    let selfCheckZ: Double
    let markSeconds: Double
    let skipped: [String]
    let tensors: [Tensor]
    let tierA: TierA?

    /// What Tier A permuted (absent without --tier-a).
    struct TierA: Encodable {
        let template: String
        let slots: Int
        let chunks: Int
        let codeLength: Int
        let unitsMoved: Int
        let tensorsPermuted: Int
    }

    init(marked: MarkedModel, output: String, customer: String, selfCheckZ: Double, seconds: Double) {
        self.output = output
        self.customer = customer
        format = marked.format.rawValue
        markedTensors = marked.tensors.count
        markedWeights = marked.markedElements
        maxRelativeChange = marked.maxRelativeChange
        maxUlps = marked.maxUlps
        self.selfCheckZ = selfCheckZ
        markSeconds = seconds
        skipped = marked.skipped.map { "\($0.name): \($0.reason)" }
        tierA = marked.tierA.map {
            TierA(
                template: $0.template, slots: $0.slots, chunks: $0.chunks, codeLength: $0.codeLength,
                unitsMoved: $0.unitsMoved, tensorsPermuted: $0.tensors.count)
        }
        tensors = marked.tensors.map {
            Tensor(
                name: $0.name, dtype: $0.dtype.rawValue, relativeChange: $0.relativeChange, maxUlps: $0.maxUlps,
                changedElements: $0.changedElements)
        }
    }

    var summary: String {
        let steps =
            tensors.contains { $0.dtype != "float32" } ? ", 16-bit elements moved by at most \(maxUlps) ulp" : ""
        return "marked \(markedWeights) weights in \(markedTensors) tensor(s) for \(customer): \(output) "
            + "(max ‖ΔW‖/‖W‖ \(maxRelativeChange)\(steps), self-check z = \(selfCheckZ))"
    }
}
