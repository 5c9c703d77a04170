#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An unnamed temporary file (`O_TMPFILE`, mode 0600, never linked): written in pieces, then read back
/// with random access; it disappears when its last descriptor closes, whatever happens.
///
/// What `InputFile.spooling` copies standard input into, and where the key server's console spools an
/// uploaded suspect file (docs/CONSOLE.md §Trace).
public final class ScratchFile {
    let descriptor: Int32
    let directory: String
    var handedOver = false
    /// Bytes written so far.
    public private(set) var count = 0

    /// Creates the file in `directory` (default: the temporary directory).
    public init(directory: String = Paths.temporaryDirectory) throws(IOError) {
        self.directory = directory
        descriptor = open(directory, OutputFile.temporaryFileFlag | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .current("create a temporary file in", path: directory) }
    }

    deinit { if !handedOver { close(descriptor) } }

    /// Appends `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(IOError) {
        var done = 0
        while done < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress.map { $0 + done }, bytes.count - done)
            if written < 0 {
                if errno == EINTR { continue }
                throw .current("write a temporary file in", path: directory)
            }
            done += written
        }
        count += bytes.count
    }

    /// The file for reading (it owns the descriptor from now on; nothing may be written after).
    public func reading(name: String) throws(IOError) -> InputFile {
        handedOver = true
        return try InputFile(descriptor: descriptor, owns: true, name: name)
    }
}
