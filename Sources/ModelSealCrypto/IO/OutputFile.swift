import ModelSealCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An output that becomes visible under its name only when `commit()` is called.
///
/// For a regular file path the bytes go to an unnamed `O_TMPFILE` in the target directory
/// (or, where the file system lacks it, a hidden temporary name removed on failure) that is
/// linked into place at commit. Until then nothing named exists, so a failure or a crash
/// leaves no partial output. Devices, pipes and standard output are written directly; callers
/// must verify everything before writing to those.
public final class OutputFile: ByteSink {
    /// `O_TMPFILE` (`__O_TMPFILE | O_DIRECTORY`), a macro Glibc's module does not import.
    static let temporaryFileFlag: Int32 = 0o20000000 | O_DIRECTORY

    /// Where the output goes.
    public enum Destination: Equatable, Sendable {
        /// Standard output.
        case standardOutput
        /// A path: a regular file (created or replaced) or an existing device/FIFO.
        case path(String)
    }

    let descriptor: Int32
    let finalPath: String?
    var temporaryPath: String?
    var committed = false
    /// True when bytes reach a consumer as they are written (stdout, a pipe, a device).
    public let isStreaming: Bool

    /// Prepares the output. `replace` allows overwriting an existing regular file.
    public init(_ destination: Destination, mode: mode_t, replace: Bool) throws(SealError) {
        guard case .path(let path) = destination else {
            descriptor = 1
            finalPath = nil
            isStreaming = true
            return
        }
        var status = stat()
        if stat(path, &status) == 0 {
            let kind = status.st_mode & S_IFMT
            if kind == S_IFDIR { throw .outputFailed("\(path) is a directory; give a file name") }
            if kind != S_IFREG {
                let descriptor = open(path, O_WRONLY | O_CLOEXEC)
                guard descriptor >= 0 else { throw .outputFailed("\(path): \(errnoText())") }
                self.descriptor = descriptor
                finalPath = nil
                isStreaming = true
                return
            }
            if !replace { throw .outputFailed("\(path) exists; remove it or pass --force to replace it") }
        }
        let directory = Self.directory(of: path)
        var descriptor = open(directory, Self.temporaryFileFlag | O_WRONLY | O_CLOEXEC, mode)
        if descriptor < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) {
            let temporary = directory + "/." + Self.baseName(of: path) + ".modelseal-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            descriptor = open(temporary, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode)
            if descriptor >= 0 { temporaryPath = temporary }
        }
        guard descriptor >= 0 else { throw .outputFailed("\(directory): \(errnoText())") }
        self.descriptor = descriptor
        finalPath = path
        isStreaming = false
    }

    deinit {
        if descriptor != 1 { close(descriptor) }
        if !committed, let temporaryPath { unlink(temporaryPath) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(SealError) {
        var done = 0
        while done < bytes.count {
            let count = Glibc.write(descriptor, bytes.baseAddress.map { $0 + done }, bytes.count - done)
            if count < 0 {
                if errno == EINTR { continue }
                throw .outputFailed(errnoText())
            }
            done += count
        }
    }

    /// Makes the output visible under its name (atomically replacing an existing file).
    public func commit() throws(SealError) {
        guard let finalPath else {
            committed = true
            return
        }
        guard fsync(descriptor) == 0 || errno == EINVAL else { throw .outputFailed("\(finalPath): \(errnoText())") }
        if let temporaryPath {
            guard rename(temporaryPath, finalPath) == 0 else { throw .outputFailed("\(finalPath): \(errnoText())") }
        } else {
            let procPath = "/proc/self/fd/\(descriptor)"
            // linkat cannot replace: link under a temporary name, then rename over the target.
            let staging = Self.directory(of: finalPath) + "/." + Self.baseName(of: finalPath) + ".modelseal-"
                + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            guard linkat(AT_FDCWD, procPath, AT_FDCWD, staging, AT_SYMLINK_FOLLOW) == 0 else {
                throw .outputFailed("\(finalPath): \(errnoText())")
            }
            guard rename(staging, finalPath) == 0 else {
                let reason = errnoText()
                unlink(staging)
                throw .outputFailed("\(finalPath): \(reason)")
            }
        }
        committed = true
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func baseName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}
