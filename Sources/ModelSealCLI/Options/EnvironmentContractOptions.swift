import ArgumentParser
import ModelSealCore
import ModelSealEnvironment

/// `seal --env FILE --env-policy P`: embed an environment contract in the sealed header.
struct EnvironmentContractOptions: ParsableArguments {
    @Option(
        name: .customLong("env"),
        help: ArgumentHelp(
            "Embed the environment lock in FILE (from `modelseal env capture`) as the file's environment contract, "
                + "covered by the header MAC and any signature.", valueName: "FILE"))
    var lockFile: String?

    @Option(
        name: .customLong("env-policy"),
        help: ArgumentHelp(
            "How the contract is enforced at load: pinned (default: every locked package at its version, "
                + "extra packages allowed), exact (no extra packages either), compatible (same major.minor of "
                + "--env-compatible names), or warn.", valueName: "POLICY"))
    var policy: String?

    @Option(
        name: .customLong("env-compatible"),
        help: ArgumentHelp(
            "Under --env-policy compatible: a name whose major.minor must match (python, cuda, cudnn or a distribution). "
                + "Repeatable; default python, torch, numpy, cuda.", valueName: "NAME"))
    var compatible: [String] = []

    func validate() throws {
        if let policy, ContractPolicy(name: policy) == nil {
            throw ValidationError("unknown --env-policy '\(policy)': use \(ContractPolicy.names)")
        }
        if lockFile == nil && (policy != nil || !compatible.isEmpty) {
            throw ValidationError("--env-policy and --env-compatible need --env FILE")
        }
        if !compatible.isEmpty && policy != "compatible" {
            throw ValidationError("--env-compatible needs --env-policy compatible")
        }
    }

    /// The contract to embed, or `nil` without `--env`.
    func contract() throws -> EnvironmentContract? {
        guard let lockFile else { return nil }
        let lock = try EnvironmentLock.parse(try SmallFile.read(lockFile, limit: EnvironmentLock.maximumEncodedLength))
        let chosen = policy.flatMap(ContractPolicy.init(name:)) ?? .default
        return try EnvironmentContract(
            policy: chosen, compatibleKeys: compatible.isEmpty ? nil : compatible, lock: lock)
    }
}
