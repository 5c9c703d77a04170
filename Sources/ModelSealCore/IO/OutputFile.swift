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
    let replace: Bool
    /// True when bytes reach a consumer as they are written (stdout, a pipe, a device).
    public let isStreaming: Bool

    /// Prepares the output. `replace` allows overwriting an existing regular file.
    public init(_ destination: Destination, mode: mode_t, replace: Bool) throws(IOError) {
        self.replace = replace
        guard case .path(let path) = destination else {
            descriptor = 1
            finalPath = nil
            isStreaming = true
            return
        }
        var status = stat()
        if stat(path, &status) == 0 {
            let kind = status.st_mode & S_IFMT
            if kind == S_IFDIR { throw .system(path: path, operation: "create", errno: EISDIR) }
            if kind != S_IFREG {
                let descriptor = open(path, O_WRONLY | O_CLOEXEC)
                guard descriptor >= 0 else { throw .current("create", path: path) }
                self.descriptor = descriptor
                finalPath = nil
                isStreaming = true
                return
            }
            if !replace { throw .refused(path: path, reason: "exists; remove it or pass --force to replace it") }
        }
        let directory = Paths.directory(of: path)
        var descriptor = open(directory, Self.temporaryFileFlag | O_WRONLY | O_CLOEXEC, mode)
        if descriptor < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) {
            let temporary =
                directory + "/." + Paths.baseName(path) + ".modelseal-"
                + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            descriptor = open(temporary, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode)
            if descriptor >= 0 { temporaryPath = temporary }
        }
        guard descriptor >= 0 else { throw .current("create a file in", path: directory) }
        self.descriptor = descriptor
        finalPath = path
        isStreaming = false
    }

    deinit {
        if descriptor != 1 { close(descriptor) }
        if !committed, let temporaryPath { unlink(temporaryPath) }
    }

    /// Bytes written so far.
    public private(set) var offset = 0

    /// The name in errors.
    var name: String { finalPath ?? "output" }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(IOError) {
        var done = 0
        while done < bytes.count {
            let count = systemWrite(descriptor, bytes.baseAddress.map { $0 + done }, bytes.count - done)
            if count < 0 {
                if errno == EINTR { continue }
                throw .current("write", path: name)
            }
            done += count
        }
        offset += bytes.count
    }

    /// True when `transfer(from:range:)` can hand the copy to the kernel (a file, not standard output).
    public var canTransfer: Bool { descriptor != 1 }

    /// Appends `range` of `source` with sendfile(2): the kernel copies, no user-space buffer.
    public func transfer(from source: InputFile, range: Range<Int>) throws(IOError) {
        guard range.lowerBound >= 0, range.upperBound <= source.size else {
            throw .shortRead(
                path: source.path, offset: range.lowerBound, needed: max(0, range.upperBound - source.size))
        }
        var position = off_t(range.lowerBound)
        var left = range.count
        while left > 0 {
            let sent = sendfile(descriptor, source.descriptor, &position, min(left, 1 << 30))
            if sent < 0 {
                if errno == EINTR { continue }
                throw .current("sendfile", path: name)
            }
            if sent == 0 { throw .shortRead(path: source.path, offset: Int(position), needed: left) }
            left -= sent
        }
        offset += range.count
    }

    /// Makes the output visible under its name (for a path); call once, after everything verified.
    ///
    /// The unnamed file is linked with `linkat`, which refuses to replace an existing name: so a file
    /// that appeared since `init` is never overwritten unless `replace` was given, in which case the
    /// link goes to a hidden name first and `rename` swaps it in atomically.
    public func commit() throws(IOError) {
        guard let finalPath else {
            committed = true
            return
        }
        guard fsync(descriptor) == 0 || errno == EINVAL else { throw .current("fsync", path: finalPath) }
        if let temporaryPath {
            if !replace {
                // No O_TMPFILE here: link(2) also refuses an existing name.
                guard link(temporaryPath, finalPath) == 0 else { throw linkError(finalPath) }
                unlink(temporaryPath)
            } else {
                guard rename(temporaryPath, finalPath) == 0 else { throw .current("rename", path: finalPath) }
            }
        } else {
            let procPath = "/proc/self/fd/\(descriptor)"
            if !replace {
                guard linkat(AT_FDCWD, procPath, AT_FDCWD, finalPath, AT_SYMLINK_FOLLOW) == 0 else {
                    throw linkError(finalPath)
                }
            } else {
                let staging =
                    Paths.directory(of: finalPath) + "/." + Paths.baseName(finalPath) + ".modelseal-"
                    + String(UInt64.random(in: 0...UInt64.max), radix: 36)
                guard linkat(AT_FDCWD, procPath, AT_FDCWD, staging, AT_SYMLINK_FOLLOW) == 0 else {
                    throw .current("link", path: finalPath)
                }
                guard rename(staging, finalPath) == 0 else {
                    let error = IOError.current("rename", path: finalPath)
                    unlink(staging)
                    throw error
                }
            }
        }
        committed = true
    }

    private func linkError(_ path: String) -> IOError {
        errno == EEXIST
            ? .refused(path: path, reason: "appeared while it was written; remove it or pass --force to replace it")
            : .current("link", path: path)
    }
}

/// `write(2)`, named apart from `OutputFile.write`.
private func systemWrite(_ descriptor: Int32, _ base: UnsafeRawPointer?, _ count: Int) -> Int {
    write(descriptor, base, count)
}
