import PostgresNIO

/// Console sessions, the per-day rollup and the machines' last release on PostgreSQL (docs/CONSOLE.md):
/// sessions live in the database, so every server process behind a load balancer knows every login.
extension PostgresStore: ConsoleStore {
    public func createSession(tokenHash: String, admin: String, csrf: String, now: Int64, expiresAt: Int64)
        async throws
    {
        try await transaction { db in
            _ = try await db.rows("DELETE FROM console_sessions WHERE expires_at <= \(now)")
            _ = try await db.rows(
                """
                INSERT INTO console_sessions(token_hash, admin, csrf, created_at, expires_at)
                VALUES(\(tokenHash), \(admin), \(csrf), \(now), \(expiresAt))
                """)
            try await appendAudit(
                db, actor: "admin:" + admin, action: "console.login", subject: admin, detail: "", now: now)
        }
    }

    public func session(tokenHash: String, now: Int64) async throws -> ConsoleSession? {
        try await read {
            try await $0.rows(
                """
                SELECT admin, csrf, expires_at FROM console_sessions
                WHERE token_hash = \(tokenHash) AND expires_at > \(now)
                """
            ).first.map(Self.consoleSession)
        }
    }

    public func deleteSession(tokenHash: String, admin: String, now: Int64) async throws {
        try await transaction { db in
            _ = try await db.rows("DELETE FROM console_sessions WHERE token_hash = \(tokenHash)")
            try await appendAudit(
                db, actor: "admin:" + admin, action: "console.logout", subject: admin, detail: "", now: now)
        }
    }

    public func recordConsoleEvent(actor: String, action: String, subject: String, detail: String, now: Int64)
        async throws
    {
        try await transaction { db in
            try await appendAudit(db, actor: actor, action: action, subject: subject, detail: detail, now: now)
        }
    }

    /// Counts a release in the per-day rollup and records the machine's last release and lease expiry,
    /// inside the release transaction.
    func recordReleaseRollup(_ db: PostgresTransaction, machineID: String, license: LicenseRecord, now: Int64)
        async throws
    {
        var leaseExpiry = now + license.leaseSeconds
        if let expiry = license.expiresAt { leaseExpiry = min(leaseExpiry, expiry) }
        try await bumpDaily(db, kind: "release", now: now)
        _ = try await db.rows(
            "UPDATE machines SET last_seen_at = \(now), lease_expires_at = \(leaseExpiry) WHERE id = \(machineID)")
    }

    func bumpDaily(_ db: PostgresTransaction, kind: String, now: Int64) async throws {
        _ = try await db.rows(
            """
            INSERT INTO daily_counts(day, kind, count) VALUES(\(now / 86_400), \(kind), 1)
            ON CONFLICT(day, kind) DO UPDATE SET count = daily_counts.count + 1
            """)
    }

    public func countRefusal(code: String, now: Int64) async throws {
        try await transaction { try await bumpDaily($0, kind: "refused:" + code, now: now) }
    }

    public func dailyCounts(fromDay: Int64) async throws -> [DailyCount] {
        try await read {
            try await $0.rows("SELECT day, kind, count FROM daily_counts WHERE day >= \(fromDay) ORDER BY day")
                .map(Self.dailyCount)
        }
    }

    public func activeMachineCount(seenSince: Int64) async throws -> Int64 {
        try await read {
            try await $0.rows(
                "SELECT COUNT(*) AS n FROM machines WHERE last_seen_at >= \(seenSince) AND revoked_at IS NULL"
            ).first?.int("n") ?? 0
        }
    }
}
