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
        let scratch = try ScratchFile()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try stream.read(into: buffer)
            if count == 0 { break }
            try scratch.write(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        return try scratch.reading(name: "standard input")
    }
}
