import SQLiteNIO

/// The policies inside SQLite's activation and release transactions (docs/SERVER.md §Policies): slots
/// held through a deactivation cooldown, floating seats, per-day and per-month metering.
extension SQLiteStore {
    /// Node-locked: refuses when every slot is held. A slot is held by each machine that is neither revoked
    /// nor deactivated, and by a deactivated one until its cooldown has passed.
    func checkSlot(_ license: LicenseRecord, except machineID: String?, now: Int64) async throws {
        guard license.policy.kind == .nodeLocked else { return }
        let since = now - license.policy.cooldownSeconds
        let row = try await rows(
            """
            SELECT COUNT(*) AS n, MIN(CASE WHEN deactivated_at IS NOT NULL THEN deactivated_at END) AS cooling
            FROM machines WHERE license_id = ? AND id != ? AND revoked_at IS NULL
                AND (deactivated_at IS NULL OR deactivated_at > ?)
            """, [.text(license.id), .text(machineID ?? ""), .int(since)]
        ).first
        try Refusal.checkSlots(license, held: row?.int("n") ?? 0, earliestCooling: row?.int("cooling"))
    }

    /// Floating: takes or renews this machine's seat until `now + lease_seconds`, refusing when
    /// `max_machines` other machines hold a live one. Returns the seat's end (`nil` for node-locked).
    @discardableResult
    func takeSeat(_ machine: MachineRecord, _ license: LicenseRecord, now: Int64) async throws -> Int64? {
        guard license.policy.kind == .floating else { return nil }
        if (machine.seatExpiresAt ?? 0) <= now {
            let row = try await rows(
                """
                SELECT COUNT(*) AS n, MIN(seat_expires_at) AS next FROM machines
                WHERE license_id = ? AND id != ? AND seat_expires_at > ? AND revoked_at IS NULL
                """, [.text(license.id), .text(machine.id), .int(now)]
            ).first
            if (row?.int("n") ?? 0) >= license.maxMachines {
                throw Refusal.seatsExhausted(license, freesAt: row?.int("next"))
            }
        }
        let until = now + license.leaseSeconds
        _ = try await rows("UPDATE machines SET seat_expires_at = ? WHERE id = ?", [.int(until), .text(machine.id)])
        return until
    }

    /// Refuses a release over the license's daily or monthly quota; the caller counts it afterwards.
    func checkMeter(_ license: LicenseRecord, now: Int64) async throws {
        for (limit, period, daily) in Refusal.quotas(license, now: now) {
            let used =
                try await rows(
                    "SELECT count FROM license_usage WHERE license_id = ? AND period = ?",
                    [.text(license.id), .text(period.key)]
                ).first?.int("count") ?? 0
            if used >= limit { throw Refusal.overQuota(license, limit: limit, period: period, daily: daily) }
        }
    }

    /// Counts one release in the license's day and month, when it has a limit on either (policies are set
    /// when the license is made, so a license without one never needs the counts).
    func countUsage(_ license: LicenseRecord, now: Int64) async throws {
        guard license.policy.maxLoadsPerDay != nil || license.policy.maxLoadsPerMonth != nil else { return }
        for period in [UsagePeriod.day(now), UsagePeriod.month(now)] {
            _ = try await rows(
                """
                INSERT INTO license_usage(license_id, period, count) VALUES(?, ?, 1)
                ON CONFLICT(license_id, period) DO UPDATE SET count = count + 1
                """, [.text(license.id), .text(period.key)])
        }
    }

    /// The machine and its license for a heartbeat, check-in or deactivation, refusing revoked ones.
    func machineAndLicense(_ machineID: String, now: Int64) async throws -> (MachineRecord, LicenseRecord) {
        guard
            let machine = try await rows("SELECT * FROM machines WHERE id = ?", [.text(machineID)]).first.map(
                Self.machine)
        else { throw StoreError.notFound("machine \(machineID)") }
        if machine.revokedAt != nil { throw Refusal.machineRevoked }
        guard
            let license = try await rows("SELECT * FROM licenses WHERE id = ?", [.text(machine.licenseID)]).first
                .map(Self.license)
        else { throw StoreError.notFound("license \(machine.licenseID)") }
        return (machine, license)
    }

    public func heartbeat(machineID: String, now: Int64) async throws -> MachineRecord {
        try await transaction {
            let (machine, license) = try await machineAndLicense(machineID, now: now)
            if machine.deactivatedAt != nil { throw Refusal.machineDeactivated }
            try Refusal.check(license, now: now)
            try await takeSeat(machine, license, now: now)
            _ = try await rows("UPDATE machines SET last_seen_at = ? WHERE id = ?", [.int(now), .text(machineID)])
            return try await rows("SELECT * FROM machines WHERE id = ?", [.text(machineID)]).first.map(Self.machine)
                ?? machine
        }
    }

    public func checkIn(machineID: String, now: Int64) async throws {
        try await transaction {
            let (machine, license) = try await machineAndLicense(machineID, now: now)
            guard (machine.seatExpiresAt ?? 0) > now else { return }
            _ = try await rows("UPDATE machines SET seat_expires_at = NULL WHERE id = ?", [.text(machineID)])
            try await appendAudit(
                actor: "machine:\(machineID)", action: "machine.checkin", subject: license.id, detail: "", now: now)
        }
    }

    public func deactivate(machineID: String, now: Int64) async throws {
        try await transaction {
            let (machine, license) = try await machineAndLicense(machineID, now: now)
            guard machine.deactivatedAt == nil else { return }
            _ = try await rows(
                "UPDATE machines SET deactivated_at = ?, seat_expires_at = NULL WHERE id = ?",
                [.int(now), .text(machineID)])
            try await appendAudit(
                actor: "machine:\(machineID)", action: "machine.deactivate", subject: license.id,
                detail: "cooldown=\(license.policy.cooldownSeconds)", now: now)
        }
    }
}
