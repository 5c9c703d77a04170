import Synchronization

/// Counters for Prometheus' `/metrics` (text exposition format 0.0.4). Labels are outcomes only: no
/// license ids, machine ids or customer names (docs/SERVER.md §Operations).
public final class ServerMetrics: Sendable {
    struct State {
        var counters: [String: Int] = [:]
        var releaseBuckets = [Int](repeating: 0, count: ServerMetrics.bounds.count)
        var releaseCount = 0
        var releaseSum = 0.0
    }

    static let bounds: [Double] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1]
    let state = Mutex(State())

    public init() {}

    /// Counts one request of `kind` (`release`, `activation`) with its outcome (`ok`, `refused`, `limited`, `error`).
    func count(_ kind: String, outcome: String) {
        state.withLock { $0.counters["\(kind)|\(outcome)", default: 0] += 1 }
    }

    /// Records a successful release's duration.
    func observeRelease(seconds: Double) {
        state.withLock { state in
            for (index, bound) in Self.bounds.enumerated() where seconds <= bound { state.releaseBuckets[index] += 1 }
            state.releaseCount += 1
            state.releaseSum += seconds
        }
    }

    /// The exposition text.
    var text: String {
        let snapshot = state.withLock { $0 }
        var lines = [
            "# HELP modelseal_requests_total Client API requests by kind and outcome.",
            "# TYPE modelseal_requests_total counter",
        ]
        for key in snapshot.counters.keys.sorted() {
            let parts = key.split(separator: "|")
            lines.append(
                "modelseal_requests_total{kind=\"\(parts[0])\",outcome=\"\(parts[1])\"} \(snapshot.counters[key] ?? 0)")
        }
        lines += [
            "# HELP modelseal_release_seconds Time to answer a release.", "# TYPE modelseal_release_seconds histogram",
        ]
        for (index, bound) in Self.bounds.enumerated() {
            lines.append("modelseal_release_seconds_bucket{le=\"\(bound)\"} \(snapshot.releaseBuckets[index])")
        }
        lines.append("modelseal_release_seconds_bucket{le=\"+Inf\"} \(snapshot.releaseCount)")
        lines.append("modelseal_release_seconds_sum \(snapshot.releaseSum)")
        lines.append("modelseal_release_seconds_count \(snapshot.releaseCount)")
        return lines.joined(separator: "\n") + "\n"
    }
}
