import SQLiteNIO

/// The console's keyset pages on SQLite: every list is `WHERE key > ? ORDER BY key LIMIT ?` on an
/// index (docs/CONSOLE.md §Query plans), never OFFSET.
extension SQLiteStore {
    public func expiringLicenses(now: Int64, until: Int64, limit: Int) async throws -> [LicenseListing] {
        try await read {
            try await rows(
                Self.listingColumns
                    + " WHERE l.expires_at > ? AND l.expires_at <= ? AND l.revoked_at IS NULL ORDER BY l.expires_at LIMIT ?",
                [.int(now), .int(until), .integer(limit)]
            ).map(Self.listing)
        }
    }

    public func licenseListings(after: String?, customerID: String?, limit: Int) async throws -> [LicenseListing] {
        try await read {
            if let customerID {
                return try await rows(
                    Self.listingColumns + " WHERE l.customer_id = ? AND l.id > ? ORDER BY l.id LIMIT ?",
                    [.text(customerID), .text(after ?? ""), .integer(limit)]
                ).map(Self.listing)
            }
            return try await rows(
                Self.listingColumns + " WHERE l.id > ? ORDER BY l.id LIMIT ?", [.text(after ?? ""), .integer(limit)]
            ).map(Self.listing)
        }
    }

    public func licenseListing(id: String) async throws -> LicenseListing? {
        try await read {
            try await rows(Self.listingColumns + " WHERE l.id = ?", [.text(id)]).first.map(Self.listing)
        }
    }

    public func machineActivity(licenseID: String, after: String?, limit: Int) async throws -> [MachineActivity] {
        try await read {
            try await rows(
                "SELECT * FROM machines WHERE license_id = ? AND id > ? ORDER BY id LIMIT ?",
                [.text(licenseID), .text(after ?? ""), .integer(limit)]
            ).map(Self.activity)
        }
    }

    public func customer(id: String) async throws -> CustomerRecord? {
        try await read { try await rows("SELECT * FROM customers WHERE id = ?", [.text(id)]).first.map(Self.customer) }
    }

    public func updateLicenseLimits(id: String, terms: LicenseTerms, actor: String, now: Int64) async throws {
        try await transaction {
            guard try await rows("SELECT id FROM licenses WHERE id = ?", [.text(id)]).first != nil else {
                throw StoreError.notFound("license \(id)")
            }
            let policy = terms.policy
            _ = try await rows(
                """
                UPDATE licenses SET max_machines = ?, max_loads = ?, expires_at = ?, lease_seconds = ?, policy = ?,
                    max_loads_day = ?, max_loads_month = ?, grace_seconds = ?, cooldown_seconds = ? WHERE id = ?
                """,
                [
                    .int(terms.maxMachines), .int(terms.maxLoads), .int(terms.expiresAt), .int(terms.leaseSeconds),
                    .text(policy.kind.rawValue), .int(policy.maxLoadsPerDay), .int(policy.maxLoadsPerMonth),
                    .int(policy.graceSeconds), .int(policy.cooldownSeconds), .text(id),
                ])
            try await appendAudit(
                actor: actor, action: "license.limits", subject: id, detail: terms.auditDetail, now: now)
        }
    }

    /// Newest first, keyset on `seq`; a filter on actor or action uses its `(column, seq)` index.
    public func auditPage(_ query: AuditQuery) async throws -> [AuditRecord] {
        var conditions = ["seq < ?"]
        var binds: [SQLiteData] = [.int(query.before ?? Int64.max)]
        if let actor = query.actor {
            conditions.append("actor = ?")
            binds.append(.text(actor))
        }
        if let action = query.action {
            conditions.append("action = ?")
            binds.append(.text(action))
        }
        binds.append(.integer(query.limit))
        let sql = "SELECT * FROM audit WHERE \(conditions.joined(separator: " AND ")) ORDER BY seq DESC LIMIT ?"
        return try await read { try await rows(sql, binds).map(Self.audit) }
    }

    public func auditVerificationStatus() async throws -> AuditVerification {
        try await read {
            let mark = try await rows("SELECT seq, checked_at, broken_at FROM audit_verified WHERE id = 1").first
            let last = try await rows("SELECT MAX(seq) AS n FROM audit").first?.int("n") ?? 0
            return AuditVerification(
                verifiedThrough: mark?.int("seq") ?? 0, lastSequence: last, brokenAt: mark?.int("broken_at"),
                checkedAt: mark?.int("checked_at") ?? 0)
        }
    }

    public func verifyAuditIncrementally(budget: Int, now: Int64) async throws -> AuditVerification {
        try await transaction {
            let mark = try await rows("SELECT seq, hash, broken_at FROM audit_verified WHERE id = 1").first
            var sequence = mark?.int("seq") ?? 0
            var hash = try mark?.text("hash") ?? AuditChain.genesis
            var broken = mark?.int("broken_at")
            if broken == nil {
                let entries = try await rows(
                    "SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?", [.int(sequence), .integer(budget)]
                ).map(Self.audit)
                (sequence, hash, broken) = AuditChain.advance(sequence: sequence, hash: hash, over: entries)
            }
            _ = try await rows(
                """
                INSERT INTO audit_verified(id, seq, hash, checked_at, broken_at) VALUES(1, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,
                    checked_at = excluded.checked_at, broken_at = excluded.broken_at
                """, [.int(sequence), .text(hash), .int(now), .int(broken)])
            let last = try await rows("SELECT MAX(seq) AS n FROM audit").first?.int("n") ?? 0
            return AuditVerification(verifiedThrough: sequence, lastSequence: last, brokenAt: broken, checkedAt: now)
        }
    }
}
