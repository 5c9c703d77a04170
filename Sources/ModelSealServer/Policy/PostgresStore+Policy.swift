import PostgresNIO

/// The policies inside PostgreSQL's activation and release transactions (docs/SERVER.md §Policies), the
/// same rules as `SQLiteStore+Policy`. Every step here runs with its license row locked (`FOR UPDATE`),
/// so seat and usage counts hold against every other server process on the database.
extension PostgresStore {
    /// Node-locked: refuses when every slot is held. A slot is held by each machine that is neither revoked
    /// nor deactivated, and by a deactivated one until its cooldown has passed.
    func checkSlot(_ db: PostgresTransaction, _ license: LicenseRecord, except machineID: String?, now: Int64)
        async throws
    {
        guard license.policy.kind == .nodeLocked else { return }
        let since = now - license.policy.cooldownSeconds
        let row = try await db.rows(
            """
            SELECT COUNT(*) AS n, MIN(CASE WHEN deactivated_at IS NOT NULL THEN deactivated_at END) AS cooling
            FROM machines WHERE license_id = \(license.id) AND id != \(machineID ?? "") AND revoked_at IS NULL
                AND (deactivated_at IS NULL OR deactivated_at > \(since))
            """
        ).first
        try Refusal.checkSlots(license, held: row?.int("n") ?? 0, earliestCooling: row?.int("cooling"))
    }

    /// Floating: takes or renews the machine's seat until `now + lease_seconds`, refusing when
    /// `max_machines` other machines hold a live one. Returns the seat's end (`nil` for node-locked).
    @discardableResult
    func takeSeat(
        _ db: PostgresTransaction, _ machineID: String, seatExpiresAt: Int64?, _ license: LicenseRecord, now: Int64
    ) async throws -> Int64? {
        guard license.policy.kind == .floating else { return nil }
        if (seatExpiresAt ?? 0) <= now {
            let row = try await db.rows(
                """
                SELECT COUNT(*) AS n, MIN(seat_expires_at) AS next FROM machines
                WHERE license_id = \(license.id) AND id != \(machineID) AND seat_expires_at > \(now)
                    AND revoked_at IS NULL
                """
            ).first
            if (row?.int("n") ?? 0) >= license.maxMachines {
                throw Refusal.seatsExhausted(license, freesAt: row?.int("next"))
            }
        }
        let until = now + license.leaseSeconds
        _ = try await db.rows("UPDATE machines SET seat_expires_at = \(until) WHERE id = \(machineID)")
        return until
    }

    /// Refuses a release over the license's daily or monthly quota; the caller counts it afterwards.
    func checkMeter(_ db: PostgresTransaction, _ license: LicenseRecord, now: Int64) async throws {
        for (limit, period, daily) in Refusal.quotas(license, now: now) {
            let used =
                try await db.rows(
                    "SELECT count FROM license_usage WHERE license_id = \(license.id) AND period = \(period.key)"
                ).first?.int("count") ?? 0
            if used >= limit { throw Refusal.overQuota(license, limit: limit, period: period, daily: daily) }
        }
    }

    /// Counts one release in the license's day and month when it has a limit on either.
    func countUsage(_ db: PostgresTransaction, _ license: LicenseRecord, now: Int64) async throws {
        guard license.policy.maxLoadsPerDay != nil || license.policy.maxLoadsPerMonth != nil else { return }
        for period in [UsagePeriod.day(now), UsagePeriod.month(now)] {
            _ = try await db.rows(
                """
                INSERT INTO license_usage(license_id, period, count) VALUES(\(license.id), \(period.key), 1)
                ON CONFLICT(license_id, period) DO UPDATE SET count = license_usage.count + 1
                """)
        }
    }

    /// The machine and its license (row locked) for a heartbeat, check-in or deactivation, refusing
    /// revoked machines. The machine is read after the lock, so its seat is the latest.
    func machineAndLicense(_ db: PostgresTransaction, _ machineID: String) async throws -> (
        MachineRecord, LicenseRecord
    ) {
        guard
            let license = try await db.rows(
                """
                SELECT l.* FROM machines m JOIN licenses l ON l.id = m.license_id WHERE m.id = \(machineID)
                FOR UPDATE OF l
                """
            ).first.map(Self.license),
            let machine = try await db.rows("SELECT * FROM machines WHERE id = \(machineID)").first.map(Self.machine)
        else { throw StoreError.notFound("machine \(machineID)") }
        if machine.revokedAt != nil { throw Refusal.machineRevoked }
        return (machine, license)
    }

    public func heartbeat(machineID: String, now: Int64) async throws -> MachineRecord {
        try await transaction { db in
            let (machine, license) = try await machineAndLicense(db, machineID)
            if machine.deactivatedAt != nil { throw Refusal.machineDeactivated }
            try Refusal.check(license, now: now)
            try await takeSeat(db, machineID, seatExpiresAt: machine.seatExpiresAt, license, now: now)
            return try await db.rows("UPDATE machines SET last_seen_at = \(now) WHERE id = \(machineID) RETURNING *")
                .first.map(Self.machine) ?? machine
        }
    }

    public func checkIn(machineID: String, now: Int64) async throws {
        try await transaction { db in
            let (machine, license) = try await machineAndLicense(db, machineID)
            guard (machine.seatExpiresAt ?? 0) > now else { return }
            _ = try await db.rows("UPDATE machines SET seat_expires_at = NULL WHERE id = \(machineID)")
            try await appendAudit(
                db, actor: "machine:\(machineID)", action: "machine.checkin", subject: license.id, detail: "",
                now: now)
        }
    }

    public func deactivate(machineID: String, now: Int64) async throws {
        try await transaction { db in
            let (machine, license) = try await machineAndLicense(db, machineID)
            guard machine.deactivatedAt == nil else { return }
            _ = try await db.rows(
                "UPDATE machines SET deactivated_at = \(now), seat_expires_at = NULL WHERE id = \(machineID)")
            try await appendAudit(
                db, actor: "machine:\(machineID)", action: "machine.deactivate", subject: license.id,
                detail: "cooldown=\(license.policy.cooldownSeconds)", now: now)
        }
    }
}
