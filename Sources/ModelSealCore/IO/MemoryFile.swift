#if canImport(Glibc)
    import Glibc

    /// An anonymous in-memory file (`memfd`) holding a plaintext, sealed against any change.
    ///
    /// Plaintext that must reach a program which only opens paths (`torch.load(path, mmap=True)`, an
    /// unmodified child process) without ever touching a disk: the bytes live in RAM (shmem, so they
    /// can reach swap unless swap is off or encrypted), and once sealed with `F_SEAL_WRITE`,
    /// `F_SEAL_GROW`, `F_SEAL_SHRINK` and `F_SEAL_SEAL` nobody, this process included, can alter them.
    /// The file is reachable as `/proc/self/fd/N` (or `/proc/PID/fd/N`) while the descriptor is open.
    public enum MemoryFile {
        /// Largest memfd created: 1 TiB, far above any model and far below `off_t`.
        public static let maximumSize = 1 << 40

        /// Creates a sealed memfd of exactly `size` bytes filled by `fill`; returns its descriptor.
        ///
        /// `fill` receives a writable mapping of the whole file. The mapping is removed and the seals
        /// applied before the descriptor is returned; on any failure the descriptor is closed (and the
        /// memory freed) before the error is thrown. `inheritable` leaves `FD_CLOEXEC` off, for a child.
        public static func create(
            name: String, size: Int, inheritable: Bool,
            fill: (UnsafeMutableRawBufferPointer) throws -> Void
        ) throws -> Int32 {
            guard size >= 0, size <= maximumSize else {
                throw IOError.refused(path: "memfd", reason: "size \(size) is outside 0...\(maximumSize)")
            }
            let flags = UInt32(memfdAllowSealing) | (inheritable ? 0 : UInt32(memfdCloexec))
            let descriptor = memfdCreate(name, flags)
            guard descriptor >= 0 else { throw IOError.current("memfd_create", path: "memfd") }
            do {
                guard ftruncate(descriptor, off_t(size)) == 0 else {
                    throw IOError.current("memfd of \(size) bytes", path: "memfd")
                }
                if size > 0 {
                    // No MAP_POPULATE: that allocates every page on this thread first. `fill`'s decryption workers
                    // fault their chunks' pages in on every core (Prefault), twice as fast on two cores.
                    let mapping = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0)
                    guard let mapping, mapping != MAP_FAILED else {
                        throw IOError.current("mapping the memfd", path: "memfd")
                    }
                    defer { munmap(mapping, size) }
                    try fill(UnsafeMutableRawBufferPointer(start: mapping, count: size))
                }
                // F_SEAL_WRITE fails while a writable shared mapping exists: the mapping is gone by now.
                guard fcntl(descriptor, fileAddSeals, sealWrite | sealGrow | sealShrink | sealSeal) == 0 else {
                    throw IOError.current("sealing the memfd", path: "memfd")
                }
            } catch {
                close(descriptor)
                throw error
            }
            return descriptor
        }

        // <linux/memfd.h> and <linux/fcntl.h> constants that the Glibc module does not import.
        static let memfdCloexec: Int32 = 0x0001
        static let memfdAllowSealing: Int32 = 0x0002
        static let fileAddSeals: Int32 = 1033
        static let sealSeal: Int32 = 0x0001
        static let sealShrink: Int32 = 0x0002
        static let sealGrow: Int32 = 0x0004
        static let sealWrite: Int32 = 0x0008
    }

    // `memfd_create` is declared only under _GNU_SOURCE, which the Glibc module does not set.
    @_silgen_name("memfd_create")
    private func memfdCreate(_ name: UnsafePointer<CChar>, _ flags: UInt32) -> Int32
#endif
