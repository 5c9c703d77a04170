import ContainerEngine
import ModelSealKit

#if canImport(Glibc)
    import Glibc
#endif

/// Where Swift meets C: every exported function runs its body through `boundary`, which turns any
/// thrown error into a status code and the calling thread's last-error message.
///
/// Nothing that can trap runs on unchecked input: arguments are validated here (`Argument`) before
/// any library call, and library code never traps on bytes it reads (STYLE.md).
func boundary(_ body: () throws -> Void) -> Int32 {
    do {
        try body()
        LastError.clear()
        return StatusCode.success.rawValue
    } catch {
        let status = StatusCode(for: error)
        LastError.set("\(error)")
        return status.rawValue
    }
}

/// Checks on raw C arguments, each throwing a usage error that names the argument.
enum Argument {
    /// Longest path or variable name accepted (Linux PATH_MAX).
    static let maximumPathLength = 4096
    /// Longest key text or passphrase accepted: the key-file cap.
    static let maximumKeyTextLength = 1 << 20
    /// Longest passphrase accepted, as on the terminal.
    static let maximumPassphraseLength = 4096

    static func usage(_ message: String) -> StatusError { StatusError(.usage, message) }

    /// A NUL-terminated string of at most `maximumPathLength` bytes, as UTF-8.
    static func string(_ pointer: UnsafePointer<CChar>?, _ name: String) throws -> String {
        guard let pointer else { throw usage("\(name) is NULL") }
        let length = strnlen(pointer, maximumPathLength + 1)
        guard length <= maximumPathLength else { throw usage("\(name) is longer than \(maximumPathLength) bytes") }
        guard length > 0 else { throw usage("\(name) is empty") }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    }

    /// `length` bytes at `pointer` (NULL only with length 0), at most `limit`.
    static func bytes(_ pointer: UnsafeRawPointer?, _ length: UInt, _ name: String, limit: Int) throws
        -> UnsafeRawBufferPointer
    {
        guard let count = Int(exactly: length), count <= limit else {
            throw usage("\(name) is longer than \(limit) bytes")
        }
        if count == 0 { return UnsafeRawBufferPointer(start: nil, count: 0) }
        guard let pointer else { throw usage("\(name) is NULL but its length is \(count)") }
        return UnsafeRawBufferPointer(start: pointer, count: count)
    }

    /// An out-parameter that must not be NULL.
    static func output<T>(_ pointer: UnsafeMutablePointer<T>?, _ name: String) throws -> UnsafeMutablePointer<T> {
        guard let pointer else { throw usage("\(name) is NULL") }
        return pointer
    }
}
