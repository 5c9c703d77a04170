import ModelSealKit

#if canImport(Glibc)
    import Glibc
#endif

/// Reads small inputs (locks, specs, READMEs) whole, with a cap checked before reading.
enum SmallFiles {
    /// The bytes of `path` ("-" for standard input), refusing folders and files over `limit`.
    static func read(_ path: String, limit: Int) throws -> [UInt8] {
        let descriptor = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw CLIError(.inputError, "\(path): \(String(cString: strerror(errno)))") }
        defer { if descriptor != 0 { close(descriptor) } }
        var status = stat()
        if fstat(descriptor, &status) == 0 {
            if status.st_mode & S_IFMT == S_IFDIR { throw CLIError(.inputError, "\(path) is a directory; give a file") }
            if status.st_mode & S_IFMT == S_IFREG && Int(status.st_size) > limit {
                throw CLIError(.inputError, "\(path) is larger than \(limit) bytes")
            }
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw CLIError(.inputError, "\(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { return bytes }
            bytes += buffer.prefix(count)
            if bytes.count > limit { throw CLIError(.inputError, "\(path) is larger than \(limit) bytes") }
        }
    }

    /// The first `count` bytes of `path` (fewer when shorter); empty when unreadable.
    static func prefix(_ path: String, count: Int) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return [] }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: count)
        let got = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        return got > 0 ? Array(buffer.prefix(got)) : []
    }
}
