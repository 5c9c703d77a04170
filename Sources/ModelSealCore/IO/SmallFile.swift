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

/// Path text helpers (no file-system access).
public enum Paths {
    /// The last component of `path` ("a/b.pt" → "b.pt"; "/" and "" stay as they are).
    public static func baseName(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/"), trimmed.count > 1 else { return String(trimmed) }
        return String(trimmed[trimmed.index(after: slash)...])
    }

    /// The folder of `path` ("." when it has none).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The folder for temporary files: `TMPDIR`, else `/tmp`.
    public static var temporaryDirectory: String {
        if let value = getenv("TMPDIR"), value.pointee != 0 { return String(cString: value) }
        return "/tmp"
    }
}

/// What is at a path, without following a final symbolic link when asked not to.
public enum FileKind: Equatable, Sendable {
    case missing, file, directory, symbolicLink, other

    /// The kind of `path`.
    public init(_ path: String, followingLinks: Bool = true) {
        var status = stat()
        guard (followingLinks ? stat(path, &status) : lstat(path, &status)) == 0 else {
            self = .missing
            return
        }
        switch status.st_mode & S_IFMT {
        case S_IFREG: self = .file
        case S_IFDIR: self = .directory
        case S_IFLNK: self = .symbolicLink
        default: self = .other
        }
    }
}

/// Listing folders.
public enum Directory {
    /// The names in `path` (no "." or ".."), sorted bytewise so walks are deterministic.
    public static func entries(_ path: String) throws(IOError) -> [String] {
        guard let stream = opendir(path) else { throw .current("open", path: path) }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }
}
