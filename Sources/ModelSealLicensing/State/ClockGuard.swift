#if canImport(Glibc)
    import Glibc
#endif

/// The wall clock licenses are checked against: UTC seconds from `CLOCK_REALTIME`.
public enum LicenseClock {
    /// Now, in Unix seconds.
    public static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec)
    }
}

/// Clock-rollback rules (docs/LICENSING.md): the clock may never be earlier than the license's
/// issue time or than the latest time this machine recorded for the license.
enum ClockGuard {
    /// Allowed difference between the vendor's clock (issue time) and this machine's.
    static let issueSkew: Int64 = 3600
    /// Allowed step back from the last recorded load (NTP corrections, workers racing).
    static let lastSeenSkew: Int64 = 300

    static func check(now: Int64, issuedAt: Int64) throws(LicenseError) {
        if now < issuedAt - issueSkew {
            throw .clockRollback(now: now, reference: issuedAt, what: "the license's issue time")
        }
    }

    static func check(now: Int64, lastSeen: Int64) throws(LicenseError) {
        if now < lastSeen - lastSeenSkew {
            throw .clockRollback(now: now, reference: lastSeen, what: "the last load recorded on this machine")
        }
    }
}
