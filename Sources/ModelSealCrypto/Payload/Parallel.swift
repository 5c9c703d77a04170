import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// How chunk work is spread over cores.
///
/// Each `map` starts its worker threads and joins them before returning: no thread pool outlives
/// a call, so processes that fork between calls (gunicorn, DataLoader workers, anything loading
/// the C library) never inherit half-initialised worker state. Starting a thread costs tens of
/// microseconds; a batch of chunks costs milliseconds.
enum Parallel {
    /// Online CPUs.
    static let workerCount = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    /// Memory budget for one batch of plaintext (and as much again of ciphertext): 32 MiB.
    static let batchBudget = 32 << 20

    /// Chunks processed per batch: enough to keep every core busy, few enough to bound memory.
    static func batchChunks(chunkSize: Int) -> Int {
        max(1, min(batchBudget / chunkSize, 4 * workerCount))
    }

    /// Runs `body(0..<count)` on all cores and returns the results in order, or the first error.
    static func map<T>(_ count: Int, _ body: (Int) throws(SealError) -> T) throws(SealError) -> [T] {
        let results = ResultSlots<T>(count: count)
        withoutActuallyEscaping(body) { body in
            let queue = WorkQueue(count: count, body: body, results: results)
            let helpers = (0..<max(0, min(workerCount, count) - 1)).compactMap { _ in WorkerThread.start(queue.drain) }
            queue.drain()
            for thread in helpers { pthread_join(thread, nil) }
        }
        return try results.collect()
    }
}

/// Hands out indexes to whichever thread asks next.
private final class WorkQueue<T>: @unchecked Sendable {
    private let next = Atomic<Int>(0)
    private let count: Int
    private let body: (Int) throws(SealError) -> T
    private let results: ResultSlots<T>

    init(count: Int, body: @escaping (Int) throws(SealError) -> T, results: ResultSlots<T>) {
        self.count = count
        self.body = body
        self.results = results
    }

    func drain() {
        while true {
            let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
            guard index < count else { return }
            do throws(SealError) {
                results.store(.success(try body(index)), at: index)
            } catch {
                results.store(.failure(error), at: index)
            }
        }
    }
}

/// Per-index result storage written by exactly one worker each, read after all have finished.
private final class ResultSlots<T>: @unchecked Sendable {
    private var slots: UnsafeMutableBufferPointer<Result<T, SealError>?>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    /// Each index is written by one thread only, so no two writes touch the same slot.
    func store(_ result: Result<T, SealError>, at index: Int) { slots[index] = result }

    func collect() throws(SealError) -> [T] {
        var values: [T] = []
        values.reserveCapacity(slots.count)
        for slot in slots {
            switch slot {
            case .success(let value): values.append(value)
            case .failure(let error): throw error
            case nil: throw .inputFailed("internal error: a chunk was not processed")
            }
        }
        return values
    }
}

/// A raw buffer shared read-only (or by disjoint ranges) with worker threads.
struct SharedBuffer: @unchecked Sendable {
    let base: UnsafeMutableRawBufferPointer

    init(count: Int) {
        base = .allocate(byteCount: max(count, 1), alignment: 64)
    }

    func slice(_ range: Range<Int>) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: base[range])
    }

    func deallocate() { base.deallocate() }
}
