/// How strictly an environment must match its contract (docs/ENVIRONMENT.md §Policies).
public enum ContractPolicy: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Same platform, same Python version, the same set of distributions at the same versions
    /// (local labels included: `2.15.0+cu121` ≠ `2.15.0+cu132` ≠ `2.15.0`), same torch build
    /// (CUDA, cuDNN, git commit), same conda packages and builds when the contract has them.
    case exact = 1
    /// Same platform, and the same `major.minor` for each key of the compatible set
    /// (`python`, `torch`, `numpy`, `cuda` by default); local labels are ignored.
    case compatible = 2
    /// The `exact` comparison, reported, never fatal.
    case warn = 3

    /// The name used by `--env-policy`.
    public var description: String {
        switch self {
        case .exact: "exact"
        case .compatible: "compatible"
        case .warn: "warn"
        }
    }

    /// Parses a `--env-policy` name.
    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = match
    }
}
