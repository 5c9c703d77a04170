#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Listing folders.
public enum Directory {
    /// The names in `path` (no "." or ".."), sorted bytewise so walks are deterministic.
    ///
    /// With `requireUTF8`, a name that is not valid UTF-8 is refused (signatures and manifests name files
    /// in UTF-8); without, such a name is decoded with replacement characters.
    public static func entries(_ path: String, requireUTF8: Bool = false) throws(IOError) -> [String] {
        guard let stream = opendir(path) else { throw .current("open", path: path) }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix(while: { $0 != 0 })) }
            guard let name = requireUTF8 ? String(strictUTF8: bytes) : String(decoding: bytes, as: UTF8.self) else {
                throw .refused(path: path, reason: "holds a file name that is not UTF-8")
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }
}
