#if canImport(Glibc)
    import Glibc
#endif

/// Monotonic time for the timings commands report.
struct Stopwatch {
    private let start = Stopwatch.now()

    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// Seconds since creation.
    var elapsed: Double { Stopwatch.now() - start }
}

/// Formats a byte rate.
func throughput(bytes: Int, seconds: Double) -> String {
    guard seconds > 0 else { return "-" }
    let rate = Double(bytes) / seconds
    return rate >= 1e9 ? "\(round2(rate / 1e9)) GB/s" : "\(round2(rate / 1e6)) MB/s"
}

func round2(_ value: Double) -> String {
    let scaled = (value * 100).rounded() / 100
    return "\(scaled)"
}

/// UTC time as ISO 8601, for identity file comments.
func utcTimestamp() -> String {
    var now = time(nil)
    var parts = tm()
    gmtime_r(&now, &parts)
    func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
    return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):"
        + "\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
}
