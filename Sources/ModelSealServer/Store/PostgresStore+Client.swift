import ModelSealServerProtocol
import PostgresNIO

/// Activation, key release and the audit chain on PostgreSQL: each step locks its license row first
/// (`FOR UPDATE`), so its checks and its count hold against every other server process on the database.
extension PostgresStore {
    public func activate(
        tokenHash: String, machineKey: [UInt8], machineKEM: ReleaseKEM, signingKey: [UInt8],
        signingAlgorithm: RequestSigningAlgorithm, label: String, now: Int64
    ) async throws -> MachineRecord {
        try await transaction { db in
            guard
                let license = try await db.rows("SELECT * FROM licenses WHERE token_hash = \(tokenHash) FOR UPDATE")
                    .first.map(Self.license)
            else { throw Refusal.invalidToken }
            try Refusal.check(license, now: now)
            let existing = try await db.rows(
                "SELECT * FROM machines WHERE license_id = \(license.id) AND machine_key = \(bytes: machineKey)"
            ).first.map(Self.machine)
            if let existing {
                if existing.revokedAt != nil { throw Refusal.machineRevoked }
                if let deactivated = existing.deactivatedAt, deactivated + license.policy.cooldownSeconds <= now {
                    // Its slot was freed when the cooldown passed: taking one back needs a free slot.
                    try await checkSlot(db, license, except: existing.id, now: now)
                }
                let updated = try await db.rows(
                    """
                    UPDATE machines SET signing_key = \(bytes: signingKey), signing_algorithm = \(signingAlgorithm.rawValue),
                        label = \(label), deactivated_at = NULL
                    WHERE id = \(existing.id) RETURNING *
                    """)
                try await appendAudit(
                    db, actor: "machine:\(existing.id)", action: "machine.reactivate", subject: license.id,
                    detail: label, now: now)
                return try updated.first.map(Self.machine) ?? existing
            }
            try await checkSlot(db, license, except: nil, now: now)
            let record = MachineRecord(
                id: Identifier.new("mac"), licenseID: license.id, machineKey: machineKey, signingKey: signingKey,
                label: label, activatedAt: now, revokedAt: nil, machineKEM: machineKEM,
                signingAlgorithm: signingAlgorithm)
            _ = try await db.rows(
                """
                INSERT INTO machines(id, license_id, machine_key, machine_kem, signing_key, signing_algorithm, label,
                    activated_at)
                VALUES(\(record.id), \(license.id), \(bytes: machineKey), \(machineKEM.rawValue), \(bytes: signingKey),
                    \(signingAlgorithm.rawValue), \(label), \(now))
                """)
            try await appendAudit(
                db, actor: "machine:\(record.id)", action: "machine.activate", subject: license.id, detail: label,
                now: now)
            return record
        }
    }

    public func machine(id: String) async throws -> MachineRecord? {
        try await read { try await $0.rows("SELECT * FROM machines WHERE id = \(id)").first.map(Self.machine) }
    }

    public func release(
        machineID: String, nonce: String, fileID: String, now: Int64,
        answer: @Sendable (LicenseRecord, VersionRecord) throws -> [UInt8]
    ) async throws -> [UInt8] {
        try await transaction { db in
            // The license row first: a release for the same nonce in another process finishes before this
            // one reads the stored answers below, and the load count read here is the latest.
            guard
                let row = try await db.rows(
                    """
                    SELECT l.*, m.revoked_at AS machine_revoked_at, m.deactivated_at AS machine_deactivated_at,
                        m.seat_expires_at AS machine_seat_expires_at FROM machines m
                    JOIN licenses l ON l.id = m.license_id WHERE m.id = \(machineID) FOR UPDATE OF l
                    """
                ).first
            else { throw StoreError.notFound("machine \(machineID)") }
            if let stored = try await db.rows(
                "SELECT file_id, answer FROM releases WHERE machine_id = \(machineID) AND nonce = \(nonce)"
            ).first {
                guard try stored.text("file_id") == fileID else { throw Refusal.nonceReused }
                return try stored.bytes("answer")
            }
            if row.int("machine_revoked_at") != nil { throw Refusal.machineRevoked }
            if row.int("machine_deactivated_at") != nil { throw Refusal.machineDeactivated }
            let license = try Self.license(row)
            try Refusal.check(license, now: now)
            guard
                let version = try await db.rows("SELECT * FROM versions WHERE file_id = \(fileID)").first.map(
                    Self.version)
            else { throw StoreError.notFound("version \(fileID): the vendor has not added this file to the server") }
            guard version.modelID == license.modelID else { throw Refusal.wrongModel }
            if let maximum = license.maxLoads, license.loads >= maximum { throw Refusal.loadsExhausted(license) }
            try await checkMeter(db, license, now: now)
            try await takeSeat(db, machineID, seatExpiresAt: row.int("machine_seat_expires_at"), license, now: now)
            let bytes = try answer(license, version)
            _ = try await db.rows("UPDATE licenses SET loads = loads + 1 WHERE id = \(license.id)")
            _ = try await db.rows(
                """
                INSERT INTO releases(machine_id, nonce, license_id, file_id, answer, created_at)
                VALUES(\(machineID), \(nonce), \(license.id), \(fileID), \(bytes: bytes), \(now))
                """)
            try await recordReleaseRollup(db, machineID: machineID, license: license, now: now)
            try await countUsage(db, license, now: now)
            try await appendAudit(
                db, actor: "machine:\(machineID)", action: "key.release", subject: license.id, detail: fileID, now: now)
            return bytes
        }
    }

    /// Appends an entry after the current last one, inside `db`'s transaction. The advisory lock is held
    /// until that transaction ends, so appends from every process form one chain; it is the last lock a
    /// step takes, which keeps it short.
    func appendAudit(
        _ db: PostgresTransaction, actor: String, action: String, subject: String, detail: String, now: Int64
    ) async throws {
        _ = try await db.rows("SELECT pg_advisory_xact_lock(\(Self.auditLock))")
        let last = try await db.rows("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").first
        let sequence = (last?.int("seq") ?? 0) + 1
        let previous = try last?.text("hash") ?? AuditChain.genesis
        let hash = AuditChain.hash(
            previous: previous, sequence: sequence, at: now, actor: actor, action: action, subject: subject,
            detail: detail)
        _ = try await db.rows(
            """
            INSERT INTO audit(seq, at, actor, action, subject, detail, hash)
            VALUES(\(sequence), \(now), \(actor), \(action), \(subject), \(detail), \(hash))
            """)
    }

    public func audit(after: Int64, limit: Int) async throws -> [AuditRecord] {
        try await read {
            try await $0.rows("SELECT * FROM audit WHERE seq > \(after) ORDER BY seq LIMIT \(limit)").map(Self.audit)
        }
    }
}
