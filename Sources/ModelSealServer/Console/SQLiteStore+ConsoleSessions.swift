import SQLiteNIO

/// Console sessions, the per-day rollup and the machines' last release on SQLite (docs/CONSOLE.md).
extension SQLiteStore: ConsoleStore {
    public func createSession(tokenHash: String, admin: String, csrf: String, now: Int64, expiresAt: Int64)
        async throws
    {
        try await transaction {
            _ = try await rows("DELETE FROM console_sessions WHERE expires_at <= ?", [.int(now)])
            _ = try await rows(
                "INSERT INTO console_sessions(token_hash, admin, csrf, created_at, expires_at) VALUES(?, ?, ?, ?, ?)",
                [.text(tokenHash), .text(admin), .text(csrf), .int(now), .int(expiresAt)])
            try await appendAudit(
                actor: "admin:" + admin, action: "console.login", subject: admin, detail: "", now: now)
        }
    }

    public func session(tokenHash: String, now: Int64) async throws -> ConsoleSession? {
        try await read {
            try await rows(
                "SELECT admin, csrf, expires_at FROM console_sessions WHERE token_hash = ? AND expires_at > ?",
                [.text(tokenHash), .int(now)]
            ).first.map(Self.consoleSession)
        }
    }

    public func deleteSession(tokenHash: String, admin: String, now: Int64) async throws {
        try await transaction {
            _ = try await rows("DELETE FROM console_sessions WHERE token_hash = ?", [.text(tokenHash)])
            try await appendAudit(
                actor: "admin:" + admin, action: "console.logout", subject: admin, detail: "", now: now)
        }
    }

    public func recordConsoleEvent(actor: String, action: String, subject: String, detail: String, now: Int64)
        async throws
    {
        try await transaction {
            try await appendAudit(actor: actor, action: action, subject: subject, detail: detail, now: now)
        }
    }

    /// Counts a release in the per-day rollup and records the machine's last release and lease expiry;
    /// called inside the release transaction, so the counts match the releases exactly.
    func recordReleaseRollup(machineID: String, license: LicenseRecord, now: Int64) async throws {
        var leaseExpiry = now + license.leaseSeconds
        if let expiry = license.expiresAt { leaseExpiry = min(leaseExpiry, expiry) }
        try await bumpDaily(kind: "release", now: now)
        _ = try await rows(
            "UPDATE machines SET last_seen_at = ?, lease_expires_at = ? WHERE id = ?",
            [.int(now), .int(leaseExpiry), .text(machineID)])
    }

    func bumpDaily(kind: String, now: Int64) async throws {
        _ = try await rows(
            """
            INSERT INTO daily_counts(day, kind, count) VALUES(?, ?, 1)
            ON CONFLICT(day, kind) DO UPDATE SET count = count + 1
            """, [.int(now / 86_400), .text(kind)])
    }

    public func countRefusal(code: String, now: Int64) async throws {
        try await transaction { try await bumpDaily(kind: "refused:" + code, now: now) }
    }

    public func dailyCounts(fromDay: Int64) async throws -> [DailyCount] {
        try await read {
            try await rows("SELECT day, kind, count FROM daily_counts WHERE day >= ? ORDER BY day", [.int(fromDay)])
                .map(Self.dailyCount)
        }
    }

    public func activeMachineCount(seenSince: Int64) async throws -> Int64 {
        try await read {
            try await rows(
                "SELECT COUNT(*) AS n FROM machines WHERE last_seen_at >= ? AND revoked_at IS NULL", [.int(seenSince)]
            ).first?.int("n") ?? 0
        }
    }
}
