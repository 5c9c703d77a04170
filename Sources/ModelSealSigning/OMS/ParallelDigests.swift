import ContainerEngine
import Crypto
import ModelSealCore

#if canImport(Glibc)
    import Glibc
#endif

/// SHA-256 of byte ranges of files, spread over all cores.
///
/// Each call starts its threads and joins them before returning (no pool outlives a call, as in
/// ContainerEngine's chunk workers), so a process that forks between calls inherits no worker state.
enum ParallelDigests {
    /// One range to hash: `length == nil` means "to the end of the file, however long it is now".
    struct Job: Sendable {
        let path: String
        let offset: Int
        let length: Int?
    }

    /// Read size per `pread`: large enough that system calls cost nothing next to hashing.
    static let readSize = 4 << 20
    /// Ranges at least this long are read by a second thread while the first hashes: SHA-256 of one file cannot be
    /// split across cores, but the copying out of the page cache can run beside it.
    static let pipelineThreshold = 64 << 20
    /// Buffers in flight between the reading and the hashing thread.
    static let pipelineDepth = 4

    /// The SHA-256 of every job, in job order, or the first error.
    static func sha256(_ jobs: [Job]) throws(IOError) -> [[UInt8]] {
        // Biggest first, so one large file does not start last and run alone.
        let order = jobs.indices.sorted { (jobs[$0].length ?? Int.max) > (jobs[$1].length ?? Int.max) }
        let digests = try Parallel.map(order.count) { (position) throws(IOError) -> [UInt8] in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: readSize, alignment: 64)
            defer { buffer.deallocate() }
            return try digest(jobs[order[position]], buffer: buffer)
        }
        var inJobOrder = [[UInt8]](repeating: [], count: jobs.count)
        for (position, index) in order.enumerated() { inJobOrder[index] = digests[position] }
        return inJobOrder
    }

    private static func digest(_ job: Job, buffer: UnsafeMutableRawBufferPointer) throws(IOError) -> [UInt8] {
        let descriptor = open(job.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .current("read", path: job.path) }
        defer { close(descriptor) }
        posix_fadvise(descriptor, off_t(job.offset), off_t(job.length ?? 0), POSIX_FADV_SEQUENTIAL)
        var status = stat()
        if Parallel.workerCount > 1, fstat(descriptor, &status) == 0,
            (job.length ?? (Int(status.st_size) - job.offset)) >= pipelineThreshold
        {
            return try PipelinedRead(descriptor: descriptor, job: job).sha256()
        }
        var hasher = SHA256()
        var offset = job.offset
        let end = job.length.map { job.offset + $0 }
        while end.map({ offset < $0 }) ?? true {
            let wanted = min(buffer.count, end.map { $0 - offset } ?? buffer.count)
            let count = pread(descriptor, buffer.baseAddress, wanted, off_t(offset))
            if count < 0 {
                if errno == EINTR { continue }
                throw .current("read", path: job.path)
            }
            if count == 0 {
                guard end == nil else { throw .refused(path: job.path, reason: "became shorter while it was hashed") }
                break
            }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            offset += count
        }
        return Array(hasher.finalize())
    }
}

/// One range hashed by the calling thread while a helper thread reads ahead into a ring of buffers.
///
/// Two POSIX semaphores hand buffers back and forth (`free` counts empty ones, `filled` full ones); each buffer's
/// byte count is written before `filled` is posted and read after it is waited on, so the semaphores order every
/// access. The reader stops at the end of the range, at end of file, or at an error, and always posts a final
/// buffer (count 0 or the error) so the hasher never waits forever.
private final class PipelinedRead: @unchecked Sendable {
    let descriptor: Int32
    let job: ParallelDigests.Job
    let buffers: UnsafeMutableRawBufferPointer
    /// Bytes in each buffer; raw memory, not an Array, so neither thread can trigger a copy-on-write of it.
    let counts = UnsafeMutablePointer<Int>.allocate(capacity: ParallelDigests.pipelineDepth)
    var failure: IOError?
    // Semaphores live at fixed addresses: `&property` on a class gives no stable pointer.
    let free = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    let filled = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)

    init(descriptor: Int32, job: ParallelDigests.Job) {
        self.descriptor = descriptor
        self.job = job
        buffers = .allocate(byteCount: ParallelDigests.readSize * ParallelDigests.pipelineDepth, alignment: 64)
        counts.initialize(repeating: 0, count: ParallelDigests.pipelineDepth)
        sem_init(free, 0, UInt32(ParallelDigests.pipelineDepth))
        sem_init(filled, 0, 0)
    }

    deinit {
        sem_destroy(free)
        sem_destroy(filled)
        free.deallocate()
        filled.deallocate()
        counts.deallocate()
        buffers.deallocate()
    }

    private func buffer(_ slot: Int) -> UnsafeMutableRawBufferPointer {
        let size = ParallelDigests.readSize
        return UnsafeMutableRawBufferPointer(rebasing: buffers[(slot * size)..<((slot + 1) * size)])
    }

    /// Reader side: fills buffers until the range ends; count 0 marks the end, -1 an error (in `failure`).
    private func readAhead() {
        var offset = job.offset
        let end = job.length.map { job.offset + $0 }
        var slot = 0
        while true {
            while sem_wait(free) != 0 {}  // only EINTR
            var count = 0
            let wanted = min(ParallelDigests.readSize, end.map { $0 - offset } ?? ParallelDigests.readSize)
            if wanted > 0 {
                repeat {
                    count = pread(descriptor, buffer(slot).baseAddress, wanted, off_t(offset))
                } while count < 0 && errno == EINTR
            }
            if count < 0 {
                failure = .current("read", path: job.path)
            } else if count == 0, let end, offset < end {
                failure = .refused(path: job.path, reason: "became shorter while it was hashed")
                count = -1
            }
            counts[slot] = count
            sem_post(filled)
            if count <= 0 { return }
            offset += count
            slot = (slot + 1) % ParallelDigests.pipelineDepth
        }
    }

    /// Hasher side (the calling thread).
    func sha256() throws(IOError) -> [UInt8] {
        guard let reader = WorkerThread.start({ self.readAhead() }) else {
            throw .current("starting a reading thread for", path: job.path)
        }
        var hasher = SHA256()
        var slot = 0
        while true {
            while sem_wait(filled) != 0 {}  // only EINTR
            let count = counts[slot]
            if count <= 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer(slot)[0..<count]))
            sem_post(free)
            slot = (slot + 1) % ParallelDigests.pipelineDepth
        }
        pthread_join(reader, nil)
        if let failure { throw failure }
        return Array(hasher.finalize())
    }
}
