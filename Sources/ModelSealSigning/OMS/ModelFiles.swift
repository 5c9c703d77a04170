import ContainerEngine
import ModelSealCore

#if canImport(Glibc)
    import Glibc
#endif

/// The regular files of a model (a file or a directory tree), found the way `model_signing` finds them.
///
/// Every file under the root is listed (dot files too) except those under an ignored path; empty directories add
/// nothing. Like `model_signing` without `allow_symlinks`, a symbolic link anywhere in the walked tree is refused,
/// and so is anything that is neither a file nor a directory (socket, FIFO, device).
struct ModelFiles {
    /// One regular file of the model.
    struct File: Sendable {
        /// Path components relative to the model root; empty for a single-file model.
        let components: [String]
        /// The path to open.
        let path: String
        /// Size when listed.
        let size: Int

        /// The resource name: POSIX path relative to the root, `.` for a single-file model.
        var name: String { components.isEmpty ? "." : components.joined(separator: "/") }
    }

    /// The files, in `model_signing`'s resource order (component-wise code-point order).
    let files: [File]
    /// True when the model is one file rather than a directory.
    let isSingleFile: Bool

    /// Lists the model at `root`, skipping every path whose components start with one of `ignored`.
    init(root: String, ignoring ignored: [[String]]) throws(IOError) {
        var status = stat()
        guard lstat(root, &status) == 0 else { throw .current("read", path: root) }
        switch status.st_mode & S_IFMT {
        case S_IFLNK:
            throw .refused(
                path: root, reason: "is a symbolic link: give the model's real path (model_signing refuses links too)")
        case S_IFREG:
            files = [File(components: [], path: root, size: Int(status.st_size))]
            isSingleFile = true
        case S_IFDIR:
            var found: [File] = []
            try Self.walk(directory: root, components: [], ignored: ignored, into: &found)
            found.sort { Self.precedes($0.components, $1.components) }
            files = found
            isSingleFile = false
        default:
            throw .refused(path: root, reason: "is neither a file nor a directory")
        }
    }

    private static func walk(
        directory: String, components: [String], ignored: [[String]], into found: inout [File]
    ) throws(IOError) {
        guard components.count < OMSFormat.maximumDepth else {
            throw .refused(
                path: directory, reason: "has directories nested deeper than \(OMSFormat.maximumDepth) levels")
        }
        let names: [String]
        do throws(IOError) {
            names = try Directory.entries(directory, requireUTF8: true)
        } catch {
            if case .refused = error {
                throw .refused(
                    path: directory, reason: "holds a file name that is not UTF-8; model signatures name files in UTF-8"
                )
            }
            throw error
        }
        for name in names {
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            let relative = components + [name]
            if ignored.contains(where: { relative.starts(with: $0) }) { continue }
            var status = stat()
            guard lstat(path, &status) == 0 else { throw .current("read", path: path) }
            switch status.st_mode & S_IFMT {
            case S_IFREG:
                guard found.count < OMSFormat.maximumResources else {
                    throw .refused(path: "the model", reason: "has more than \(OMSFormat.maximumResources) files")
                }
                found.append(File(components: relative, path: path, size: Int(status.st_size)))
            case S_IFDIR:
                try walk(directory: path, components: relative, ignored: ignored, into: &found)
            case S_IFLNK:
                throw .refused(path: path, reason: "is a symbolic link: model signatures cover regular files only")
            default:
                throw .refused(path: path, reason: "is neither a file nor a directory")
            }
        }
    }

    /// `model_signing` sorts `PurePosixPath`s, which compare as lists of components, each by code points:
    /// `a/b` comes before `a-c` and `a.txt`.
    static func precedes(_ left: [String], _ right: [String]) -> Bool {
        for (a, b) in zip(left, right) where a != b {
            return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) { $0.value < $1.value }
        }
        return left.count < right.count
    }

    /// Splits a relative ignore path into components, dropping `.` and empty ones; `nil` if it leaves the model.
    static func components(ofRelativePath path: String) -> [String]? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init).filter { $0 != "." }
        return parts.contains("..") ? nil : parts
    }
}
