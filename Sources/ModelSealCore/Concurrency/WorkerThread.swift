#if canImport(Glibc)
    import Glibc
#endif

/// Short-lived joinable worker threads: what `Parallel` and the OpenSSF hashing use instead of a
/// thread pool, so that no thread outlives the call that started it (callers fork).
public enum WorkerThread {
    private final class Job {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    /// Starts a joinable thread running `job`; `nil` if the system refuses (the caller then does the work).
    public static func start(_ job: @escaping () -> Void) -> pthread_t? {
        let context = Unmanaged.passRetained(Job(job)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(
            &thread, nil,
            { raw in
                guard let raw else { return nil }
                Unmanaged<Job>.fromOpaque(raw).takeRetainedValue().run()
                return nil
            }, context)
        guard status == 0 else {
            Unmanaged<Job>.fromOpaque(context).release()
            return nil
        }
        return thread
    }
}
