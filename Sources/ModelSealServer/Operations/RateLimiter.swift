import Synchronization

/// Token buckets per key (a machine, an activation token) (docs/SERVER.md §Rate limits): a request
/// takes one token; buckets refill at `rate` per second up to `burst`. A refused request is answered
/// 429 with Retry-After and never reaches the store, so it is not counted.
public final class RateLimiter: Sendable {
    /// A bucket's refill rate (per second) and size.
    public struct Rule: Sendable, Equatable {
        public let rate: Double
        public let burst: Double

        public init(rate: Double, burst: Double) {
            self.rate = rate
            self.burst = burst
        }
    }

    struct Bucket {
        var tokens: Double
        var at: Double
    }

    let rule: Rule?
    let buckets = Mutex<[String: Bucket]>([:])
    let start = ContinuousClock.now
    /// Past this many keys, full buckets are dropped (they are the same as absent ones).
    static let maximumKeys = 100_000

    /// A limiter; `nil` turns it off.
    public init(_ rule: Rule?) { self.rule = rule }

    var now: Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }

    /// `nil` when `key` may proceed (a token was taken), else the seconds until it may.
    public func take(_ key: String) -> Double? {
        guard let rule else { return nil }
        let time = now
        return buckets.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: rule.burst, at: time)
            bucket.tokens = min(rule.burst, bucket.tokens + (time - bucket.at) * rule.rate)
            bucket.at = time
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                buckets[key] = bucket
                if buckets.count > Self.maximumKeys {
                    buckets = buckets.filter { $0.value.tokens + (time - $0.value.at) * rule.rate < rule.burst }
                }
                return nil
            }
            buckets[key] = bucket
            return (1 - bucket.tokens) / rule.rate
        }
    }
}

/// The server's two limits: releases per machine and activations per token.
public struct RateLimits: Sendable {
    public let release: RateLimiter
    public let activation: RateLimiter

    public init(release: RateLimiter.Rule?, activation: RateLimiter.Rule?) {
        self.release = RateLimiter(release)
        self.activation = RateLimiter(activation)
    }

    /// The defaults: 10 releases per second per machine (burst 50), 1 activation per second per token (burst 10).
    public static let standard = RateLimits(
        release: .init(rate: 10, burst: 50), activation: .init(rate: 1, burst: 10))
    /// No limits (tests, benchmarks).
    public static let off = RateLimits(release: nil, activation: nil)
}
