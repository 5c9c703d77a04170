#if canImport(Glibc)
    import Glibc
#endif

/// Absolute, symlink-free paths, as Python's `Path.resolve()` gives them (also for a file not yet written).
enum PathResolution {
    /// `realpath` of `path`; for a missing file, `realpath` of its directory joined with its name.
    static func resolved(_ path: String) -> String? {
        if let real = realpath(path, nil) {
            defer { free(real) }
            return String(cString: real)
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard let name = parts.last, !name.isEmpty, name != ".", name != ".." else { return nil }
        let directory =
            parts.count == 1
            ? "." : (path.hasPrefix("/") && parts.count == 2 ? "/" : parts.dropLast().joined(separator: "/"))
        guard let base = realpath(directory, nil) else { return nil }
        defer { free(base) }
        let prefix = String(cString: base)
        return (prefix.hasSuffix("/") ? prefix : prefix + "/") + name
    }

    /// `path` relative to the directory `root` when it lies inside it (both resolved), else `nil`.
    static func relative(_ path: String, inside root: String) -> String? {
        guard let path = resolved(path), let root = resolved(root) else { return nil }
        let prefix = root.hasSuffix("/") ? root : root + "/"
        guard path.hasPrefix(prefix), path.count > prefix.count else { return nil }
        return String(path.dropFirst(prefix.count))
    }
}
