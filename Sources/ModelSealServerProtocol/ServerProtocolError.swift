/// A message that breaks the key server's wire rules (docs/SERVER.md §Protocol).
public struct ServerProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong and what to do.
    public let description: String

    /// An error with its text.
    public init(_ description: String) { self.description = description }
}
