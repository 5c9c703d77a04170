/// How strictly an environment must match its contract (docs/ENVIRONMENT.md §Policies).
///
/// The raw value is the policy byte of the contract (spec/ENVIRONMENT.md §1): a byte's meaning
/// never changes; a new policy is a new byte.
public enum ContractPolicy: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Same platform, same Python version, the same set of distributions at the same versions
    /// (local labels included: `2.15.0+cu121` ≠ `2.15.0+cu132` ≠ `2.15.0`), same torch build
    /// (CUDA, cuDNN, git commit), same conda packages and builds when the contract has them.
    /// `modelseal` itself and the installer tooling are ignored.
    case exact = 1
    /// Same platform, and the same `major.minor` for each key of the compatible set
    /// (`python`, `torch`, `numpy`, `cuda` by default); local labels are ignored.
    case compatible = 2
    /// The `exact` comparison, reported, never fatal.
    case warn = 3
    /// The `exact` comparison, except that distributions and conda packages installed here but not
    /// in the contract are allowed (reported as notes): every pinned package must be present at
    /// its version (and conda build). The default for new seals.
    case pinned = 4

    /// The policy of new contracts when none is named.
    public static let `default` = ContractPolicy.pinned

    /// The names `--env-policy` accepts, for messages.
    public static let names = "pinned (default), exact, compatible or warn"

    /// The name used by `--env-policy`.
    public var description: String {
        switch self {
        case .exact: "exact"
        case .compatible: "compatible"
        case .warn: "warn"
        case .pinned: "pinned"
        }
    }

    /// Parses a `--env-policy` name.
    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = match
    }
}
