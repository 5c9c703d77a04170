import PostgresNIO

/// The console's keyset pages on PostgreSQL: the same queries as SQLite's (`WHERE key > $1 ORDER BY key
/// LIMIT $2` on an index, never OFFSET), and the audit chain's incremental verification.
extension PostgresStore {
    public func expiringLicenses(now: Int64, until: Int64, limit: Int) async throws -> [LicenseListing] {
        try await read {
            try await $0.rows(
                PostgresQuery(
                    unsafeSQL: Self.listingColumns
                        + " WHERE l.expires_at > $1 AND l.expires_at <= $2 AND l.revoked_at IS NULL"
                        + " ORDER BY l.expires_at LIMIT $3", binds: try Self.binds(now, until, Int64(limit)))
            ).map(Self.listing)
        }
    }

    public func licenseListings(after: String?, customerID: String?, limit: Int) async throws -> [LicenseListing] {
        let query =
            if let customerID {
                PostgresQuery(
                    unsafeSQL: Self.listingColumns + " WHERE l.customer_id = $1 AND l.id > $2 ORDER BY l.id LIMIT $3",
                    binds: try Self.binds(customerID, after ?? "", Int64(limit)))
            } else {
                PostgresQuery(
                    unsafeSQL: Self.listingColumns + " WHERE l.id > $1 ORDER BY l.id LIMIT $2",
                    binds: try Self.binds(after ?? "", Int64(limit)))
            }
        return try await read { try await $0.rows(query).map(Self.listing) }
    }

    public func licenseListing(id: String) async throws -> LicenseListing? {
        let query = PostgresQuery(unsafeSQL: Self.listingColumns + " WHERE l.id = $1", binds: try Self.binds(id))
        return try await read { try await $0.rows(query).first.map(Self.listing) }
    }

    public func machineActivity(licenseID: String, after: String?, limit: Int) async throws -> [MachineActivity] {
        try await read {
            try await $0.rows(
                "SELECT * FROM machines WHERE license_id = \(licenseID) AND id > \(after ?? "") ORDER BY id LIMIT \(limit)"
            ).map(Self.activity)
        }
    }

    public func customer(id: String) async throws -> CustomerRecord? {
        try await read { try await $0.rows("SELECT * FROM customers WHERE id = \(id)").first.map(Self.customer) }
    }

    public func updateLicenseLimits(id: String, terms: LicenseTerms, actor: String, now: Int64) async throws {
        try await transaction { db in
            let policy = terms.policy
            let updated = try await db.rows(
                """
                UPDATE licenses SET max_machines = \(terms.maxMachines), max_loads = \(terms.maxLoads),
                    expires_at = \(terms.expiresAt), lease_seconds = \(terms.leaseSeconds),
                    policy = \(policy.kind.rawValue), max_loads_day = \(policy.maxLoadsPerDay),
                    max_loads_month = \(policy.maxLoadsPerMonth), grace_seconds = \(policy.graceSeconds),
                    cooldown_seconds = \(policy.cooldownSeconds) WHERE id = \(id) RETURNING id
                """)
            guard !updated.isEmpty else { throw StoreError.notFound("license \(id)") }
            try await appendAudit(
                db, actor: actor, action: "license.limits", subject: id, detail: terms.auditDetail, now: now)
        }
    }

    /// Newest first, keyset on `seq`; a filter on actor or action uses its `(column, seq)` index.
    public func auditPage(_ query: AuditQuery) async throws -> [AuditRecord] {
        var conditions = ["seq < $1"]
        var binds = try Self.binds(query.before ?? Int64.max)
        if let actor = query.actor {
            binds.append(actor)
            conditions.append("actor = $\(binds.count)")
        }
        if let action = query.action {
            binds.append(action)
            conditions.append("action = $\(binds.count)")
        }
        binds.append(Int64(query.limit))
        let sql =
            "SELECT * FROM audit WHERE \(conditions.joined(separator: " AND ")) ORDER BY seq DESC LIMIT $\(binds.count)"
        return try await read { try await $0.rows(PostgresQuery(unsafeSQL: sql, binds: binds)).map(Self.audit) }
    }

    public func auditVerificationStatus() async throws -> AuditVerification {
        try await read { db in
            let mark = try await db.rows("SELECT seq, checked_at, broken_at FROM audit_verified WHERE id = 1").first
            let last = try await db.rows("SELECT MAX(seq) AS n FROM audit").first?.int("n") ?? 0
            return AuditVerification(
                verifiedThrough: mark?.int("seq") ?? 0, lastSequence: last, brokenAt: mark?.int("broken_at"),
                checkedAt: mark?.int("checked_at") ?? 0)
        }
    }

    public func verifyAuditIncrementally(budget: Int, now: Int64) async throws -> AuditVerification {
        try await transaction { db in
            let mark = try await db.rows("SELECT seq, hash, broken_at FROM audit_verified WHERE id = 1 FOR UPDATE")
                .first
            var sequence = mark?.int("seq") ?? 0
            var hash = try mark?.text("hash") ?? AuditChain.genesis
            var broken = mark?.int("broken_at")
            if broken == nil {
                let entries = try await db.rows(
                    "SELECT * FROM audit WHERE seq > \(sequence) ORDER BY seq LIMIT \(Int64(budget))"
                ).map(Self.audit)
                (sequence, hash, broken) = AuditChain.advance(sequence: sequence, hash: hash, over: entries)
            }
            _ = try await db.rows(
                """
                INSERT INTO audit_verified(id, seq, hash, checked_at, broken_at) VALUES(1, \(sequence), \(hash), \(now),
                    \(broken)) ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,
                    checked_at = excluded.checked_at, broken_at = excluded.broken_at
                """)
            let last = try await db.rows("SELECT MAX(seq) AS n FROM audit").first?.int("n") ?? 0
            return AuditVerification(verifiedThrough: sequence, lastSequence: last, brokenAt: broken, checkedAt: now)
        }
    }
}

extension PostgresStore {
    /// Bindings for a query whose SQL is assembled from parts.
    static func binds(_ values: any PostgresThrowingDynamicTypeEncodable...) throws -> PostgresBindings {
        var bindings = PostgresBindings()
        for value in values { try bindings.append(value) }
        return bindings
    }
}
