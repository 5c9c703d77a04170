import ModelSealCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file (or standard input) read through its descriptor with `read`/`pread`.
public final class FileInput: ByteSource, RandomAccessByteSource {
    let descriptor: Int32
    let ownsDescriptor: Bool
    /// Size at open time for regular files; 0 for pipes and terminals.
    public let size: Int
    /// True for regular files and block devices: `pread` works and the size is known.
    public let isSeekable: Bool

    /// Opens `path` for reading; refuses directories and missing files with a clear message.
    public convenience init(path: String) throws(SealError) {
        // O_NONBLOCK so that opening a FIFO with no writer cannot hang; cleared right after.
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw .inputFailed("\(path): \(errnoText())") }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
        try self.init(descriptor: descriptor, owns: true, name: path)
    }

    /// Wraps standard input.
    public static func standardInput() throws(SealError) -> FileInput {
        try FileInput(descriptor: 0, owns: false, name: "standard input")
    }

    init(descriptor: Int32, owns: Bool, name: String) throws(SealError) {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            if owns { close(descriptor) }
            throw .inputFailed("\(name): \(errnoText())")
        }
        let kind = status.st_mode & S_IFMT
        guard kind != S_IFDIR else {
            if owns { close(descriptor) }
            throw .inputFailed("\(name) is a directory; give a file")
        }
        self.descriptor = descriptor
        self.ownsDescriptor = owns
        self.isSeekable = kind == S_IFREG
        self.size = kind == S_IFREG ? Int(status.st_size) : 0
        posix_fadvise(descriptor, 0, 0, POSIX_FADV_SEQUENTIAL)
    }

    deinit { if ownsDescriptor { close(descriptor) } }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(SealError) -> Int {
        while true {
            let count = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno != EINTR { throw .inputFailed(errnoText()) }
        }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(SealError) {
        var done = 0
        while done < buffer.count {
            let count = pread(descriptor, buffer.baseAddress.map { $0 + done }, buffer.count - done, off_t(offset + done))
            if count < 0 {
                if errno == EINTR { continue }
                throw .inputFailed(errnoText())
            }
            if count == 0 { throw .inputFailed("the file became shorter while it was read; it changed under us") }
            done += count
        }
    }
}

/// The text of the current `errno`.
func errnoText() -> String {
    String(cString: strerror(errno))
}
