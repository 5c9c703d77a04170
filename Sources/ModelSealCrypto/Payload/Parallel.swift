import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// How chunk work is spread over cores.
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
    static func map<T>(_ count: Int, _ body: @Sendable (Int) throws(SealError) -> T) throws(SealError) -> [T] {
        let results = ResultSlots<T>(count: count)
        DispatchQueue.concurrentPerform(iterations: count) { index in
            do throws(SealError) {
                results.store(.success(try body(index)), at: index)
            } catch {
                results.store(.failure(error), at: index)
            }
        }
        return try results.collect()
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
