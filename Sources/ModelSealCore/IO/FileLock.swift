#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An exclusive advisory lock (`flock`) on a lock file, held until the lock is released (deinit): processes
/// that read, change and rewrite one small file (a license's load count, the mark registry) take turns.
public final class FileLock {
    private let descriptor: Int32

    /// Opens (creating, mode 0600) `path` and waits for the exclusive lock.
    public init(path: String) throws(IOError) {
        descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .current("open lock file", path: path) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                let error = IOError.current("lock", path: path)
                close(descriptor)
                throw error
            }
        }
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
