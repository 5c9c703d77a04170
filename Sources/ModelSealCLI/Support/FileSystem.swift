#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `rename(2)`: atomically moves a finished output into place.
func systemRename(_ from: String, _ to: String) -> Int32 {
    rename(from, to) == 0 ? 0 : errno
}

/// `unlink(2)`, ignoring failure (cleanup of a partial output).
func systemRemove(_ path: String) {
    _ = unlink(path)
}

/// Whether `path` exists.
func systemExists(_ path: String) -> Bool {
    access(path, F_OK) == 0
}
