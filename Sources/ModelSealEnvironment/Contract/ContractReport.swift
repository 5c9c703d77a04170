/// The differences between a contract and an environment, and whether the policy allows them.
public struct ContractReport: Sendable, Equatable, CustomStringConvertible {
    /// One difference.
    public struct Difference: Sendable, Equatable {
        /// What kind of difference.
        public enum Kind: String, Sendable {
            /// Operating system or CPU.
            case platform
            /// In the contract, not installed here.
            case missing
            /// Installed here, not in the contract.
            case extra
            /// Installed at another version (or build).
            case version
        }
        public let kind: Kind
        /// `python`, `cuda`, `cudnn`, `torch build`, a distribution name, or `conda:NAME`.
        public let name: String
        /// The contract's value (nil for `extra`).
        public let expected: String?
        /// This environment's value (nil for `missing`).
        public let actual: String?
        /// True when the policy forbids this difference.
        public let fatal: Bool
    }

    /// The policy applied.
    public let policy: ContractPolicy
    /// Every difference the policy looks at, fatal ones first, then by name.
    public let differences: [Difference]
    /// Differences outside the compatible set (counted, not listed, under `compatible`).
    public let ignoredCount: Int

    /// True when nothing fatal was found.
    public var isSatisfied: Bool { !differences.contains(where: \.fatal) }
    /// True when the platform differs (fatal or not).
    public var platformDiffers: Bool { differences.contains { $0.kind == .platform } }

    /// Most differences of rank `other` (pure-Python packages) `rendered` lists; every difference of
    /// a higher rank (platform, interpreter, torch, CUDA, NumPy, compiled packages) is always listed.
    /// The JSON report of `env check --json` has them all.
    public static let renderedLimit = 40

    /// A readable diff: one line per difference, `-` missing, `+` extra, `~` different, `!` platform;
    /// fatal ones first, then by `DifferenceRank`.
    public var rendered: String {
        var lines: [String] = []
        let fatal = differences.filter(\.fatal).count
        lines.append(
            "policy \(policy): "
                + (differences.isEmpty
                    ? "the environment matches the contract"
                    : "\(differences.count) difference(s), \(fatal) not allowed by the policy"))
        let width = min(32, differences.map(\.name.count).max() ?? 0)
        var others = 0
        var elided = 0
        for difference in differences {
            if difference.rank == .other {
                others += 1
                if others > Self.renderedLimit {
                    elided += 1
                    continue
                }
            }
            lines.append(line(difference, width: width))
        }
        if elided > 0 {
            lines.append(
                "  ... and \(elided) more pure-Python package(s) (`modelseal env check --json` lists all)")
        }
        if ignoredCount > 0 {
            lines.append("  (\(ignoredCount) other difference(s) outside the compatible set are allowed)")
        }
        return lines.joined(separator: "\n")
    }

    /// One line of `rendered`.
    func line(_ difference: Difference, width: Int) -> String {
        let name = difference.name + String(repeating: " ", count: max(0, width - difference.name.count))
        let marker =
            difference.fatal
            ? "" : (policy == .pinned && difference.kind == .extra ? "  (note: allowed)" : "  (allowed)")
        switch difference.kind {
        case .platform:
            return "  ! \(name)  contract \(difference.expected ?? "?"), here \(difference.actual ?? "?")\(marker)"
        case .missing:
            return "  - \(name)  \(difference.expected ?? "?") required, not installed here\(marker)"
        case .extra:
            return "  + \(name)  \(difference.actual ?? "?") installed here, not in the contract\(marker)"
        case .version:
            return "  ~ \(name)  contract \(difference.expected ?? "?"), here \(difference.actual ?? "?")\(marker)"
        }
    }

    public var description: String { rendered }
}
