import ModelSealCore

#if canImport(Glibc)
    import Glibc
#endif

/// Small licensing files: read whole, replaced atomically (temporary file, fsync, rename), and
/// directories made private (0700).
enum AtomicFiles {
    /// Licensing files are small; anything larger is refused unread.
    static let maximumSize = 1 << 20

    /// The file's bytes, `nil` when it does not exist.
    static func read(_ path: String) throws(LicenseError) -> [UInt8]? {
        do throws(IOError) {
            return try SmallFile.read(path, limit: maximumSize)
        } catch {
            if case .system(_, _, ENOENT) = error { return nil }
            throw .io("cannot read \(error)")
        }
    }

    /// Replaces `path` with `bytes` atomically: readers see the old or the new file, never a mix.
    static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600) throws(LicenseError) {
        do throws(IOError) {
            let output = try OutputFile(.path(path), mode: mode, replace: true)
            try output.write(bytes)
            try output.commit()
        } catch {
            throw .io("cannot write \(path): \(error)")
        }
    }

    /// Creates `path` and its parents with mode 0700 where missing.
    static func makeDirectory(_ path: String) throws(LicenseError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o700) != 0 && errno != EEXIST {
                throw .io("cannot create directory \(current): \(IOError.text(of: errno))")
            }
        }
    }
}

extension FileLock {
    /// The lock on `path`, its failure as a licensing error: several workers loading at once update the load
    /// count one after another.
    static func licensing(path: String) throws(LicenseError) -> FileLock {
        do throws(IOError) { return try FileLock(path: path) } catch { throw .io("cannot lock \(error)") }
    }
}
