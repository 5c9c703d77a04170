import ModelSealCore

#if canImport(Glibc)
import Glibc
#endif

/// Replays a few already-read bytes before the rest of a source (content sniffing on pipes).
public final class PrefixedSource: ByteSource {
    private var prefix: [UInt8]
    private let rest: ByteSource

    /// A source yielding `prefix`, then everything `rest` yields.
    public init(prefix: [UInt8], rest: ByteSource) {
        self.prefix = prefix
        self.rest = rest
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(SealError) -> Int {
        guard prefix.isEmpty else {
            let count = min(prefix.count, buffer.count)
            prefix.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            prefix.removeFirst(count)
            return count
        }
        return try rest.read(into: buffer)
    }
}

extension FileInput {
    /// Copies a non-seekable input (a pipe) into an unnamed temporary file and reads that.
    ///
    /// Opening needs random access (parallel chunks, verify before release). Only ciphertext is
    /// spooled, into an `O_TMPFILE` in `$TMPDIR` that has no name and disappears with the process.
    public static func spooling(_ source: ByteSource) throws(SealError) -> FileInput {
        let directory = Environment.temporaryDirectory
        let descriptor = open(directory, OutputFile.temporaryFileFlag | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .inputFailed("cannot spool standard input into \(directory): \(errnoText())") }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try source.read(into: buffer)
            if count == 0 { break }
            var done = 0
            while done < count {
                let written = write(descriptor, buffer.baseAddress.map { $0 + done }, count - done)
                if written < 0 {
                    if errno == EINTR { continue }
                    let reason = errnoText()
                    close(descriptor)
                    throw .inputFailed("cannot spool standard input: \(reason)")
                }
                done += written
            }
        }
        return try FileInput(descriptor: descriptor, owns: true, name: "standard input")
    }
}

enum Environment {
    static var temporaryDirectory: String {
        if let value = getenv("TMPDIR"), value.pointee != 0 { return String(cString: value) }
        return "/tmp"
    }
}
