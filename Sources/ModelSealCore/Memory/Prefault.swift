#if canImport(Glibc)
    import Glibc
#endif

/// Faulting in memory that is about to be written whole, in one system call instead of one page fault per
/// 4 KiB page taken in the middle of the write.
///
/// The decryption workers call it on each chunk's destination before decrypting into it, so a fresh buffer's
/// pages are faulted in on every core at once rather than on the caller's thread before the call (measured on
/// the 4 GiB benchmark, docs/BENCHMARKS.md §Faulting in the destination: one thread populating 4 GiB took
/// 1.3–9.3 s of kernel time on this project's VM, two threads 0.7–1.5 s).
public enum Prefault {
    private static let pageSize = max(1, Int(sysconf(Int32(_SC_PAGESIZE))))

    /// Linux 5.14's MADV_POPULATE_WRITE: fault every page in writable, as writing to it would, without
    /// changing its bytes. Not in every Glibc's headers.
    private static let populateWrite: Int32 = 23

    /// Faults in the whole pages inside `memory` writable. Best effort: an older kernel, or memory the call
    /// does not apply to, leaves the pages to fault in when they are written, as they would have anyway.
    public static func forWriting(_ memory: UnsafeMutableRawBufferPointer) {
        #if os(Linux)
            guard let base = memory.baseAddress else { return }
            let mask = pageSize - 1
            let start = (Int(bitPattern: base) + mask) & ~mask
            let end = (Int(bitPattern: base) + memory.count) & ~mask
            guard end > start, let first = UnsafeMutableRawPointer(bitPattern: start) else { return }
            _ = madvise(first, end - start, populateWrite)
        #endif
    }
}
