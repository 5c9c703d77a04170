/// Why an environment could not be captured, a contract could not be read, or an environment
/// does not satisfy a contract.
///
/// Every case says what was wrong and, where it helps, where (file, line, byte offset).
public enum EnvironmentError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A lock file or contract extension that is not valid (or not canonical) JSON of the lock schema.
    case malformedLock(String)
    /// An `environment.yml` outside the subset conda writes (line numbers count from 1).
    case malformedYAML(line: Int, reason: String)
    /// A `conda list --explicit` spec that breaks its grammar.
    case malformedExplicitSpec(line: Int, reason: String)
    /// A `conda-meta/*.json` record that is not a conda record.
    case malformedCondaRecord(path: String, reason: String)
    /// A distribution's METADATA / PKG-INFO without a name or version, or over the size cap.
    case malformedDistribution(path: String, reason: String)
    /// A contract header extension (spec/CONTAINER.md §4, type 0x8005) that breaks its byte layout.
    case malformedContract(String)
    /// The interpreter or environment could not be found or read.
    case probeFailed(String)
    /// The contract names another platform than the environment's (always fatal, except under `warn`).
    case platformMismatch(ContractReport)
    /// The environment differs from the contract in a way the contract's policy forbids.
    case mismatch(ContractReport)

    public var description: String {
        switch self {
        case .malformedLock(let reason): "malformed environment lock: \(reason)"
        case .malformedYAML(let line, let reason): "environment.yml line \(line): \(reason)"
        case .malformedExplicitSpec(let line, let reason): "explicit spec line \(line): \(reason)"
        case .malformedCondaRecord(let path, let reason): "conda record \(path): \(reason)"
        case .malformedDistribution(let path, let reason): "distribution metadata \(path): \(reason)"
        case .malformedContract(let reason): "malformed environment contract: \(reason)"
        case .probeFailed(let reason): "cannot read the Python environment: \(reason)"
        case .platformMismatch(let report):
            "the model's environment contract is for another platform\n" + report.rendered
        case .mismatch(let report): "the environment does not satisfy the model's contract\n" + report.rendered
        }
    }
}
