import ArgumentParser
import ModelSealCore
import ModelSealKit
import ModelSealMark

/// The options every mark command shares: the vendor secret, the model id, the Tier B parameters, the registry.
struct MarkOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The vendor's mark secret: a file of 16 to 4096 random bytes, used as is (keep it with the registry).",
            valueName: "FILE"))
    var secret: String?

    @Option(
        name: .customLong("model-id"),
        help: ArgumentHelp("The model's id (name and version): part of every customer's pattern.", valueName: "NAME"))
    var modelID: String?

    @Option(help: "Tier B amplitude relative to each row's RMS, at most 1e-3.")
    var alpha: Double = MarkParameters.defaultAlpha

    @Option(
        name: .customLong("min-elements"),
        help: ArgumentHelp(
            "Smallest tensor marked, in elements (tensors of rank ≥ 2 only; default 4096; trace with the "
                + "registry: the smallest the registry records for the model id).", valueName: "N"))
    var minElementsOption: Int?

    @Option(
        help: ArgumentHelp(
            "The registry of issued marks: a file (default: the secret's path + .registry.json), or the key "
                + "server's admin URL (http://HOST:PORT, with $MODELSEAL_ADMIN_TOKEN) to use its registry.",
            valueName: "FILE|URL"))
    var registry: String?

    @Flag(
        name: .customLong("tier-a"),
        help: ArgumentHelp(
            "Also permute hidden units of a built-in template (torchvision ResNet, GPT-2, BERT) to spell the "
                + "customer (Tier A; spec/MARK.md §8)."))
    var tierA = false

    var minElements: Int { minElementsOption ?? MarkParameters.defaultMinElements }

    var parameters: MarkParameters { MarkParameters(alpha: alpha, minElements: minElements) }

    /// The registry path: the option, or beside the secret.
    func registryPath() throws -> String {
        if let registry { return registry }
        return try requiredSecretPath() + ".registry.json"
    }

    func requiredSecretPath() throws -> String {
        guard let secret else { throw CLIError(.usage, "--secret FILE is required to mark or trace") }
        return secret
    }

    func requiredModelID() throws -> String {
        guard let modelID else { throw CLIError(.usage, "--model-id NAME is required to mark or trace") }
        return modelID
    }

    /// The secret's bytes, read with a cap.
    func secretBytes() throws -> [UInt8] {
        try SmallFile.read(try requiredSecretPath(), limit: MarkKey.secretBytes.upperBound + 1)
    }
}

/// Runs `body`, turning mark errors into the status classes of the exit-code table.
func markErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as MarkError {
        switch error {
        case .invalidRequest: throw CLIError(.usage, error.description)
        case .unsupported: throw CLIError(.modelUnsupported, error.description)
        case .fidelityBound: throw CLIError(.conversionRefused, error.description)
        case .malformedInput: throw CLIError(.inputError, error.description)
        }
    }
}

/// The self-check of a marked copy: the customer's score on the delivered bytes, refused when too weak.
enum MarkSelfCheck {
    static func run(original: WeightFile, marked: MarkedModel, request: MarkRequest) throws -> Double {
        let delivered = try WeightFile.open(marked.delivered)
        let report = try Tracer.trace(
            original: original, suspect: delivered,
            TraceRequest(
                secret: request.secret, modelID: request.modelID, customers: [request.customer],
                parameters: request.parameters))
        let z = report.accused.first?.z ?? report.runnerUp?.z ?? 0
        if let tierA = marked.tierA {
            guard report.evidence.tierA.customer == request.customer else {
                throw MarkError.fidelityBound(
                    "the self-check does not read the customer back from the \(tierA.template) permutations "
                        + "(\(report.evidence.tierA.symbolErrors) symbol errors): refusing the copy")
            }
        }
        // Tier B must name the customer by itself: Tier A's permutations are undone by anyone who permutes again.
        guard report.accused.contains(where: { $0.tiers.contains("B") }) else {
            throw MarkError.fidelityBound(
                "the self-check scores the delivered copy at z = \(z), below the threshold \(report.thresholdZ): "
                    + "the model is too small to carry a traceable mark (lower --min-elements or raise --alpha)")
        }
        return z
    }
}
