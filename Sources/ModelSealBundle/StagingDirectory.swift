import ModelSealCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A hidden folder beside the target that becomes the target only at `commit()`.
///
/// Everything is created inside it relative to its descriptor (`mkdirat`/`openat` with
/// `O_NOFOLLOW | O_EXCL`), so no path component can be a link planted by someone else; the final
/// `renameat2(RENAME_NOREPLACE)` never replaces an existing target. Until then nothing is visible
/// under the target's name; on failure (or deinit without commit) the staging folder is removed.
public final class StagingDirectory {
    let target: String
    /// The hidden staging folder's path.
    public let path: String
    let descriptor: Int32
    /// Relative paths created, in creation order (removed in reverse on failure).
    var created: [(path: String, isDirectory: Bool)] = []
    var committed = false

    /// A staging folder for the new folder `target` (which must not exist).
    public init(target: String) throws(BundleError) {
        var status = stat()
        if lstat(target, &status) == 0 {
            throw .outputFailed("\(target) exists: name a new folder (nothing was written)")
        }
        let parent = Paths.directory(of: target)
        guard stat(parent, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
            throw .outputFailed("\(parent) is not a folder")
        }
        self.target = target
        path =
            parent + "/." + Paths.baseName(target) + ".modelseal-"
            + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        guard mkdir(path, 0o700) == 0 else { throw .outputFailed("\(parent): \(IOError.text(of: errno))") }
        descriptor = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else {
            rmdir(path)
            throw .outputFailed("\(path): \(IOError.text(of: errno))")
        }
    }

    deinit {
        close(descriptor)
        if !committed { removeAll() }
    }

    /// Creates the regular file `name` (a validated member name) and its folders; returns its descriptor.
    public func createFile(_ name: String) throws(BundleError) -> Int32 {
        var directory = dup(descriptor)
        defer { close(directory) }
        let segments = name.split(separator: "/").map(String.init)
        var relative = ""
        for segment in segments.dropLast() {
            relative += (relative.isEmpty ? "" : "/") + segment
            if mkdirat(directory, segment, 0o755) == 0 {
                created.append((relative, true))
            } else if errno != EEXIST {
                throw .outputFailed("\(relative): \(IOError.text(of: errno))")
            }
            let next = openat(directory, segment, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard next >= 0 else { throw .outputFailed("\(relative): \(IOError.text(of: errno))") }
            close(directory)
            directory = next
        }
        guard let last = segments.last else { throw .outputFailed("empty member name") }
        let file = openat(directory, last, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard file >= 0 else { throw .outputFailed("\(name): \(IOError.text(of: errno))") }
        created.append((name, false))
        return file
    }

    /// Renames the staging folder to the target; fails (and cleans up) when the target appeared meanwhile.
    public func commit() throws(BundleError) {
        _ = fchmod(descriptor, 0o755)
        _ = fsync(descriptor)
        #if canImport(Glibc)
            let result = renameat2(AT_FDCWD, path, AT_FDCWD, target, 1)  // RENAME_NOREPLACE
        #else
            let result = renamex_np(path, target, UInt32(RENAME_EXCL))
        #endif
        guard result == 0 else {
            throw .outputFailed("\(target): \(IOError.text(of: errno)) (nothing was written)")
        }
        committed = true
    }

    /// Removes what this object created, deepest first, then the staging folder.
    func removeAll() {
        for entry in created.reversed() {
            unlinkat(descriptor, entry.path, entry.isDirectory ? AT_REMOVEDIR : 0)
        }
        rmdir(path)
    }

}

#if canImport(Glibc)
    @_silgen_name("renameat2")
    private func renameat2(
        _ olddirfd: Int32, _ oldpath: UnsafePointer<CChar>, _ newdirfd: Int32, _ newpath: UnsafePointer<CChar>,
        _ flags: UInt32
    ) -> Int32
#endif
