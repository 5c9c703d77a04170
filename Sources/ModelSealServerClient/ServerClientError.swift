/// Why the key server's client stopped (docs/SERVER.md §Client): each names what to do.
public enum ServerClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A bad URL or option.
    case usage(String)
    /// No answer: the server is unreachable (a cached lease may be used).
    case network(String)
    /// An answer that is not the protocol.
    case protocolError(String)
    /// The server refused: HTTP status, error code and its message (a cached lease is deleted).
    case refused(status: Int, code: String, message: String)
    /// This machine has not activated with that server.
    case notActivated(String)
    /// Local files: the activation or the machine key.
    case local(String)
    /// The activation's keys are in a TPM that is missing, is another TPM, or was cleared (never a software
    /// fallback).
    case wrongMachine(String)
    /// The server is not the one this machine trusts: another TLS key than the pinned one, a certificate
    /// that does not verify, or a signing key without a rotation chain from the pinned one.
    case untrusted(String)

    public var description: String {
        switch self {
        case .usage(let text): text
        case .network(let text): "the key server is unreachable: \(text)"
        case .protocolError(let text): "the key server's answer is not valid: \(text)"
        case .refused(let status, let code, let message): "the key server refused (\(status) \(code)): \(message)"
        case .notActivated(let text): text
        case .local(let text): text
        case .wrongMachine(let text): text
        case .untrusted(let text): "the key server is not trusted: \(text)"
        }
    }
}
