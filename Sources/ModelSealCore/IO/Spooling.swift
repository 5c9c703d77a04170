#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Replays a few already-read bytes before the rest of a stream (content sniffing on pipes).
public final class PrefixedStream: ByteStream {
    private var prefix: [UInt8]
    private let rest: ByteStream

    /// `prefix`, then everything `rest` gives.
    public init(prefix: [UInt8], rest: ByteStream) {
        self.prefix = prefix
        self.rest = rest
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(IOError) -> Int {
        guard prefix.isEmpty else {
            let count = min(prefix.count, buffer.count)
            prefix.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            prefix.removeFirst(count)
            return count
        }
        return try rest.read(into: buffer)
    }
}

extension InputFile {
    /// Copies a stream into an unnamed temporary file (never linked, gone when closed) and opens it
    /// for random access: how `open` reads a sealed file from a pipe, which needs two passes.
    public static func spooling(_ stream: ByteStream) throws(IOError) -> InputFile {
        let directory = Paths.temporaryDirectory
        let descriptor = open(directory, OutputFile.temporaryFileFlag | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw .current("spooling standard input into a temporary file in", path: directory)
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count: Int
            do throws(IOError) {
                count = try stream.read(into: buffer)
            } catch {
                close(descriptor)
                throw error
            }
            if count == 0 { break }
            var done = 0
            while done < count {
                let written = write(descriptor, buffer.baseAddress.map { $0 + done }, count - done)
                if written < 0 {
                    if errno == EINTR { continue }
                    let error = IOError.current("spooling standard input", path: directory)
                    close(descriptor)
                    throw error
                }
                done += written
            }
        }
        return try InputFile(descriptor: descriptor, owns: true, name: "standard input")
    }
}
