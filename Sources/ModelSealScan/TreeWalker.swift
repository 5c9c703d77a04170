import ModelSealCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Expands the paths given to `modelseal scan` into files: directories are walked recursively in
/// name order, symbolic links to directories are not followed (no cycles), and the walk is bounded.
public enum TreeWalker {
    /// Directories deeper than this below a given path are reported, not entered.
    public static let maxDepth = 64
    /// Files beyond this many are reported, not scanned.
    public static let maxFiles = 1_000_000

    /// One path the walk produced: a regular file, or a path it could not use and why.
    public enum Item: Sendable, Equatable {
        case file(String)
        case problem(path: String, reason: String)
    }

    /// The files under `paths`, in a deterministic order.
    public static func files(under paths: [String]) -> [Item] {
        var items: [Item] = []
        var count = 0
        for path in paths { walk(path, depth: 0, followLink: true, into: &items, count: &count) }
        return items
    }

    static func walk(_ path: String, depth: Int, followLink: Bool, into items: inout [Item], count: inout Int) {
        var status = stat()
        let result = followLink ? stat(path, &status) : lstat(path, &status)
        guard result == 0 else {
            items.append(.problem(path: path, reason: "cannot stat: errno \(errno)"))
            return
        }
        let kind = status.st_mode & S_IFMT
        if kind == S_IFLNK {
            // A link found inside a directory: follow it to files only.
            var target = stat()
            if stat(path, &target) == 0, target.st_mode & S_IFMT == S_IFREG { append(path, &items, &count) }
            return
        }
        if kind == S_IFREG {
            append(path, &items, &count)
            return
        }
        guard kind == S_IFDIR else { return }  // devices, sockets, FIFOs: never opened
        guard depth < maxDepth else {
            items.append(.problem(path: path, reason: "directory deeper than \(maxDepth) levels: not entered"))
            return
        }
        let names: [String]
        do throws(IOError) {
            names = try Directory.entries(path)
        } catch {
            items.append(.problem(path: path, reason: "cannot open directory: \(error)"))
            return
        }
        let prefix = path.hasSuffix("/") ? path : path + "/"
        for name in names {
            walk(prefix + name, depth: depth + 1, followLink: false, into: &items, count: &count)
        }
    }

    static func append(_ path: String, _ items: inout [Item], _ count: inout Int) {
        count += 1
        if count > maxFiles {
            if count == maxFiles + 1 {
                items.append(.problem(path: path, reason: "more than \(maxFiles) files: the rest are not scanned"))
            }
            return
        }
        items.append(.file(path))
    }
}
