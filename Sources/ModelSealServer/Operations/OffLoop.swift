import ModelSealCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Runs CPU-bound work (scrypt, a trace) on a thread of its own, so it never holds a thread of Swift's
/// cooperative pool or of NIO's event loops while the server answers other requests.
enum OffLoop {
    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job: () -> Void = { continuation.resume(with: Result { try work() }) }
            if let thread = WorkerThread.start(job) {
                pthread_detach(thread)
            } else {
                job()
            }
        }
    }

    /// `run`, but the caller gets `TimedOut` after `seconds` (the thread cannot be stopped: it finishes
    /// alone and its result is dropped).
    static func run<T: Sendable>(seconds: Int, _ work: @escaping @Sendable () throws -> T) async throws -> T {
        let once = Once<T>()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            once.set(continuation)
            let job: () -> Void = { once.resume(Result { try work() }) }
            if let thread = WorkerThread.start(job) {
                pthread_detach(thread)
                Task {
                    try? await Task.sleep(for: .seconds(seconds))
                    once.resume(.failure(TimedOut(seconds: seconds)))
                }
            } else {
                job()
            }
        }
    }

    struct TimedOut: Error {
        let seconds: Int
    }

    /// A continuation resumed by whichever of the work and the timer comes first.
    final class Once<T: Sendable>: Sendable {
        private let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)

        func set(_ value: CheckedContinuation<T, any Error>) { continuation.withLock { $0 = value } }

        func resume(_ result: Result<T, any Error>) {
            let taken = continuation.withLock { value -> CheckedContinuation<T, any Error>? in
                defer { value = nil }
                return value
            }
            taken?.resume(with: result)
        }
    }
}
