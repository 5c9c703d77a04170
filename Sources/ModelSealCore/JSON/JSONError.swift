/// Where and why JSON failed to parse; each module wraps it into its own error with context.
public struct JSONError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Byte offset of the failure in the parsed input.
    public let offset: Int
    /// What was wrong.
    public let reason: String

    /// A failure at `offset`.
    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "\(reason) at byte \(offset)" }
}
