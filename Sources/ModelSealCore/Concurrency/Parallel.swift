import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The one way ModelSeal spreads work over cores: an ordered map on short-lived threads.
///
/// Each `map` starts its worker threads and joins them before returning: no thread pool outlives
/// a call, so processes that fork between calls (gunicorn, DataLoader workers, anything loading
/// the C library) never inherit half-initialised worker state. Starting a thread costs tens of
/// microseconds; a batch of chunks or a file costs milliseconds. Callers that stream (sealing,
/// opening, hashing) bound memory by calling `map` once per batch (`batchCount(itemSize:)`).
public enum Parallel {
    /// Online CPUs.
    public static let workerCount = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    /// Memory budget for one batch of input (and as much again of output): 32 MiB.
    public static let batchBudget = 32 << 20

    /// Items per batch: enough to keep every core busy, few enough to keep a batch within `batchBudget`.
    public static func batchCount(itemSize: Int) -> Int {
        max(1, min(batchBudget / max(1, itemSize), 4 * workerCount))
    }

    /// Runs `body(0..<count)` on up to `workers` threads and returns the results in index order,
    /// or the error of the lowest failing index. Inlinable so callers get it specialised for their
    /// result and error types (the per-chunk results then need no generic boxing).
    @inlinable
    public static func map<T, E: Error>(
        _ count: Int, workers: Int = Parallel.workerCount, _ body: (Int) throws(E) -> T
    ) throws(E) -> [T] {
        guard count > 0 else { return [] }
        let results = ResultSlots<T, E>(count: count)
        withoutActuallyEscaping(body) { body in
            let queue = WorkQueue(count: count, body: body, results: results)
            let helpers = (0..<max(0, min(workers, count) - 1)).compactMap { _ in WorkerThread.start(queue.drain) }
            queue.drain()
            for thread in helpers { pthread_join(thread, nil) }
        }
        return try results.collect()
    }
}

/// Hands out indexes to whichever thread asks next.
@usableFromInline
final class WorkQueue<T, E: Error>: @unchecked Sendable {
    private let next = Atomic<Int>(0)
    private let count: Int
    private let body: (Int) throws(E) -> T
    private let results: ResultSlots<T, E>

    @usableFromInline
    init(count: Int, body: @escaping (Int) throws(E) -> T, results: ResultSlots<T, E>) {
        self.count = count
        self.body = body
        self.results = results
    }

    @usableFromInline
    func drain() {
        while true {
            let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
            guard index < count else { return }
            do throws(E) {
                results.store(.success(try body(index)), at: index)
            } catch {
                results.store(.failure(error), at: index)
            }
        }
    }
}

/// Per-index result storage written by exactly one worker each, read after all have been joined.
@usableFromInline
final class ResultSlots<T, E: Error>: @unchecked Sendable {
    private var slots: UnsafeMutableBufferPointer<Result<T, E>?>

    @usableFromInline
    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    /// Each index is written by one thread only, so no two writes touch the same slot.
    func store(_ result: Result<T, E>, at index: Int) { slots[index] = result }

    @usableFromInline
    func collect() throws(E) -> [T] {
        var values: [T] = []
        values.reserveCapacity(slots.count)
        for slot in slots {
            switch slot {
            case .success(let value): values.append(value)
            case .failure(let error): throw error
            // The calling thread drains the queue to the end before joining, so every index ran.
            case nil: preconditionFailure("Parallel.map: an index was not processed")
            }
        }
        return values
    }
}

/// A raw buffer shared read-only (or by disjoint ranges) with worker threads.
public struct SharedBuffer: @unchecked Sendable {
    /// The whole buffer.
    public let base: UnsafeMutableRawBufferPointer

    /// Allocates `count` bytes (at least one), 64-byte aligned; the owner calls `deallocate()`.
    public init(count: Int) {
        base = .allocate(byteCount: max(count, 1), alignment: 64)
    }

    /// Wraps memory owned by someone else (never deallocate it through this value).
    public init(wrapping base: UnsafeMutableRawBufferPointer) { self.base = base }

    /// The bytes of `range`.
    public func slice(_ range: Range<Int>) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: base[range])
    }

    /// Frees memory allocated by `init(count:)`.
    public func deallocate() { base.deallocate() }
}
