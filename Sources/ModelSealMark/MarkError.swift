/// Everything that can stop marking or tracing, with a message that says what to do.
public enum MarkError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The request itself is wrong (a secret too short, an empty customer id, a bad amplitude).
    case invalidRequest(String)
    /// The model file is valid but holds nothing this mark can be applied to, or a layout we do not write.
    case unsupported(String)
    /// The marked output would break a fidelity bound: nothing is written.
    case fidelityBound(String)
    /// A file the mark reads (registry, customer list) is malformed.
    case malformedInput(what: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidRequest(message): return message
        case let .unsupported(message): return message
        case let .fidelityBound(message): return "refusing to write a marked copy: \(message)"
        case let .malformedInput(what, reason): return "malformed \(what): \(reason)"
        }
    }
}
