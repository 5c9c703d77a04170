#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file, pipe or standard input read through its descriptor: `pread` for random access, `read`
/// for streaming. The descriptor is closed when the last reference goes.
public final class InputFile: ByteSource, ByteStream, @unchecked Sendable {
    /// The path, or "standard input".
    public let path: String
    let descriptor: Int32
    let ownsDescriptor: Bool
    /// Size at open time for regular files and block devices; 0 for pipes and terminals.
    public let size: Int
    /// True for regular files: `pread` works and the size is known.
    public let isSeekable: Bool

    /// Opens `path` for reading; refuses directories and missing files with a clear message.
    public convenience init(path: String) throws(IOError) {
        // O_NONBLOCK so that opening a FIFO with no writer cannot hang; cleared right after.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw .current("open", path: path) }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
        try self.init(descriptor: descriptor, owns: true, name: path)
    }

    /// Opens `path`, which must be a regular file (random access needed: model files, sealed files to inspect).
    public static func regular(path: String) throws(IOError) -> InputFile {
        let file = try InputFile(path: path)
        guard file.isSeekable else { throw .refused(path: path, reason: "is not a regular file") }
        return file
    }

    /// Wraps standard input (not closed).
    public static func standardInput() throws(IOError) -> InputFile {
        try InputFile(descriptor: 0, owns: false, name: "standard input")
    }

    /// Wraps an open descriptor; with `owns`, it is closed on deinit (and on failure here).
    public init(descriptor: Int32, owns: Bool, name: String) throws(IOError) {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let error = IOError.current("stat", path: name)
            if owns { close(descriptor) }
            throw error
        }
        let kind = status.st_mode & S_IFMT
        guard kind != S_IFDIR else {
            if owns { close(descriptor) }
            throw .refused(path: name, reason: "is a directory; give a file")
        }
        self.path = name
        self.descriptor = descriptor
        self.ownsDescriptor = owns
        self.isSeekable = kind == S_IFREG
        self.size = kind == S_IFREG ? Int(status.st_size) : 0
        #if canImport(Glibc)
            posix_fadvise(descriptor, 0, 0, POSIX_FADV_SEQUENTIAL)
        #endif
    }

    deinit { if ownsDescriptor { close(descriptor) } }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(IOError) -> Int {
        while true {
            let count = systemRead(descriptor, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno != EINTR { throw .current("read", path: path) }
        }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(IOError) {
        guard offset >= 0 else { throw .shortRead(path: path, offset: offset, needed: buffer.count) }
        var done = 0
        while done < buffer.count {
            guard let base = buffer.baseAddress else { return }
            let count = pread(descriptor, base + done, buffer.count - done, off_t(offset + done))
            if count < 0 {
                if errno == EINTR { continue }
                throw .current("read", path: path)
            }
            if count == 0 { throw .shortRead(path: path, offset: offset + done, needed: buffer.count - done) }
            done += count
        }
    }

    /// Fills `buffer` from `offset` (the name streaming copies use).
    public func readFully(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(IOError) {
        try read(into: buffer, at: offset)
    }
}

/// `read(2)`, named apart from `InputFile.read`.
private func systemRead(_ descriptor: Int32, _ base: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, base, count)
}
