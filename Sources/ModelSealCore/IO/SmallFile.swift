#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Small inputs read whole (keys, licenses, locks, specs, `/proc` files), with a cap checked
/// before and while reading so a hostile or endless input never fills memory.
public enum SmallFile {
    /// The bytes of `path` ("-" for standard input), refusing folders and inputs over `limit` bytes.
    public static func read(_ path: String, limit: Int) throws(IOError) -> [UInt8] {
        let input = path == "-" ? try InputFile.standardInput() : try InputFile(path: path)
        if input.isSeekable, input.size > limit {
            throw .refused(path: path, reason: "is larger than \(limit) bytes")
        }
        var bytes: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try input.read(into: buffer)
            if count == 0 { return bytes }
            bytes += buffer[0..<count]
            if bytes.count > limit { throw .refused(path: path, reason: "is larger than \(limit) bytes") }
        }
    }

    /// Up to `limit` bytes from the start of a regular file, with `truncated` true when it is longer;
    /// `nil` when it cannot be opened or is not a regular file (probes read what they can).
    public static func prefix(_ path: String, limit: Int) -> (bytes: [UInt8], truncated: Bool)? {
        guard let input = try? InputFile.regular(path: path) else { return nil }
        let wanted = min(input.size, limit)
        guard let bytes = try? input.read(at: 0, count: wanted) else { return nil }
        return (bytes, input.size > limit)
    }
}
