import ArgumentParser
import ModelSealCore
import ModelSealKit
import ModelSealMark

extension ModelSeal {
    /// `modelseal trace`: which issued customers' marks are in a suspect copy (docs/MARKING.md).
    struct Trace: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trace",
            abstract: "Name the customer(s) whose mark is in a leaked copy of a model.",
            discussion: """
                Aligns the suspect (.pt or .safetensors; fp32/fp16/bf16, or int8/int4 as written by torch \
                quantization, compressed-tensors or bitsandbytes; renamed or transposed tensors are found by \
                shape; units of a built-in template are matched back to the original's, which also reads a \
                Tier A mark) to the original, scores every issued id on a keyed subsample of at most 2^22 \
                weights, and accuses an id when its score passes the threshold set by Hoeffding's bound or when \
                the Tier A mark spells its fingerprint, so that the probability of accusing any innocent is at \
                most 1e-9 (spec/MARK.md §5). Exits 0 whether or not anyone is accused.

                Example:
                  modelseal trace leaked.safetensors --original resnet18.pt \\
                    --secret vendor.mark-secret --model-id resnet18-v3 \\
                    --customers issued.txt --json
                """)

        @OptionGroup(title: "Mark") var mark: MarkOptions

        @Argument(help: ArgumentHelp("The suspect copy.", valueName: "SUSPECT"))
        var suspect: String

        @Option(help: ArgumentHelp("The unmarked original.", valueName: "FILE"))
        var original: String

        @Option(
            help: ArgumentHelp(
                "Issued customer ids, one per line (default: the registry's ids for the model id).",
                valueName: "FILE"))
        var customers: String?

        @Flag(help: "Print the JSON report on standard output.")
        var json = false

        func run() throws {
            try reportingErrors(json: json) { try markErrors { try execute() } }
        }

        private func execute() throws {
            let modelID = try mark.requiredModelID()
            let (ids, recorded) = try issuedIDs(modelID: modelID)
            var parameters = mark.parameters
            if mark.minElementsOption == nil, let recorded { parameters.minElements = recorded }
            let request = TraceRequest(
                secret: try mark.secretBytes(), modelID: modelID, customers: ids, parameters: parameters)
            let report = try Tracer.trace(
                original: try WeightFile.open(try InputFile(path: original)),
                suspect: try WeightFile.open(try InputFile(path: suspect)), request)
            if json {
                try JSONOutput.print(report)
                return
            }
            let tier = report.evidence.tierB
            var lines = [
                "scored \(report.issued) issued id(s) on \(tier.weightsScored) weight(s) of \(tier.tensorsMatched)/"
                    + "\(tier.tensorsMarked) marked tensor(s); threshold z = \(report.thresholdZ) "
                    + "(family-wise false-positive bound \(report.familyWiseFalsePositiveBound))"
            ]
            for candidate in report.accused {
                lines.append(
                    "ACCUSED \(candidate.customer) (named by Tier \(candidate.tiers.joined(separator: " and Tier "))): "
                        + "z = \(candidate.z) (false-positive bound 10^\(candidate.log10FalsePositiveBound))"
                )
            }
            if report.accused.isEmpty { lines.append("nobody accused") }
            let tierA = report.evidence.tierA
            if let template = tierA.template {
                let found =
                    tierA.customer.map {
                        "the permutations name \($0) (\(tierA.symbolErrors) symbol error(s) corrected)"
                    }
                    ?? (tierA.decoded ? "the permutations decode to no issued id" : "no customer decoded")
                lines.append("Tier A (\(template), \(tierA.unitsMoved) unit(s) moved): \(found)")
            }
            if let runnerUp = report.runnerUp { lines.append("runner-up \(runnerUp.customer): z = \(runnerUp.z)") }
            Terminal.writeOutput(lines.joined(separator: "\n") + "\n")
        }

        /// The ids from --customers (one per line, blank lines ignored), or from the registry with the smallest
        /// `min_elements` it records for the model.
        func issuedIDs(modelID: String) throws -> (ids: [String], minElements: Int?) {
            if let customers {
                let bytes = try SmallFile.read(customers, limit: 64 << 20)
                guard let text = String(validating: bytes, as: UTF8.self) else {
                    throw CLIError(.inputError, "\(customers) is not UTF-8 text: give one customer id per line")
                }
                let ids = text.split(whereSeparator: \.isNewline).map {
                    String($0.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
                }.filter { !$0.isEmpty }
                guard !ids.isEmpty else { throw CLIError(.inputError, "\(customers) lists no customer id") }
                return (ids, nil)
            }
            let path = try mark.registryPath()
            let registry = MarkRegistry(entries: try MarkRegistryTarget.entries(modelID: modelID, registry: path))
            let ids = registry.customers(modelID: modelID)
            guard !ids.isEmpty else {
                throw CLIError(
                    .inputError, "the registry \(path) records no mark of \(modelID): give --customers or --registry")
            }
            return (ids, registry.entries.map(\.minElements).min())
        }
    }
}
