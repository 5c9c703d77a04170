#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The one I/O error: what every source, sink and file helper throws; modules wrap it with context.
public enum IOError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call failed on `path` (or a description such as "standard input").
    case system(path: String, operation: String, errno: Int32)
    /// Fewer bytes than needed at `offset`: the input is shorter than its structure says, or shrank.
    case shortRead(path: String, offset: Int, needed: Int)
    /// The producer of a stream failed (a decrypting stream that met a changed file).
    case failed(path: String, reason: String)
    /// The path cannot be used as asked (a directory where a file is needed, an existing file without force).
    case refused(path: String, reason: String)

    public var description: String {
        switch self {
        case .system(let path, let operation, let code):
            operation == "open" || operation == "read" || operation == "write"
                ? "\(path): \(Self.text(of: code))" : "\(path): \(operation): \(Self.text(of: code))"
        case .shortRead(let path, let offset, let needed):
            "\(path): \(needed) byte(s) missing at offset \(offset) (the file is truncated, or changed while it was read)"
        case .refused(let path, let reason):
            "\(path) \(reason)"
        case .failed(let path, let reason):
            "\(path): \(reason)"
        }
    }

    /// Operations (`system`'s `operation` prefixes) that write: surfaces report them as output errors.
    public static let outputOperations = ["create", "write", "fsync", "link", "rename", "sendfile", "ftruncate"]

    /// The text of an `errno` value.
    public static func text(of code: Int32) -> String { String(cString: strerror(code)) }

    /// A failure of `operation` on `path` with the current `errno`.
    public static func current(_ operation: String, path: String) -> IOError {
        .system(path: path, operation: operation, errno: errno)
    }
}
