import SQLiteNIO

/// Row mapping and the audit chain of the SQLite store.
extension SQLiteStore {
    static func customer(_ row: SQLiteRow) throws -> CustomerRecord {
        CustomerRecord(id: try row.text("id"), name: try row.text("name"), createdAt: try row.requiredInt("created_at"))
    }

    static func model(_ row: SQLiteRow) throws -> ModelRecord {
        ModelRecord(id: try row.text("id"), name: try row.text("name"), createdAt: try row.requiredInt("created_at"))
    }

    static func version(_ row: SQLiteRow) throws -> VersionRecord {
        VersionRecord(
            fileID: try row.text("file_id"), modelID: try row.text("model_id"),
            wrappedKey: try row.bytes("wrapped_key"),
            createdAt: try row.requiredInt("created_at"))
    }

    static func license(_ row: SQLiteRow) throws -> LicenseRecord {
        var record = LicenseRecord(
            id: try row.text("id"), customerID: try row.text("customer_id"), modelID: try row.text("model_id"),
            tokenHash: try row.text("token_hash"), maxMachines: try row.requiredInt("max_machines"),
            maxLoads: row.int("max_loads"), loads: try row.requiredInt("loads"), expiresAt: row.int("expires_at"),
            leaseSeconds: try row.requiredInt("lease_seconds"), createdAt: try row.requiredInt("created_at"),
            revokedAt: row.int("revoked_at"))
        record.policy = try policy(row)
        return record
    }

    static func policy(_ row: SQLiteRow) throws -> LicensePolicy {
        guard let kind = LicensePolicy.Kind(rawValue: try row.text("policy")) else {
            throw StoreError.database("column policy is not a known license policy")
        }
        return LicensePolicy(
            kind: kind, maxLoadsPerDay: row.int("max_loads_day"), maxLoadsPerMonth: row.int("max_loads_month"),
            graceSeconds: row.int("grace_seconds"), cooldownSeconds: try row.requiredInt("cooldown_seconds"))
    }

    static func machine(_ row: SQLiteRow) throws -> MachineRecord {
        MachineRecord(
            id: try row.text("id"), licenseID: try row.text("license_id"), machineKey: try row.bytes("machine_key"),
            signingKey: try row.bytes("signing_key"), label: try row.text("label"),
            activatedAt: try row.requiredInt("activated_at"), revokedAt: row.int("revoked_at"),
            deactivatedAt: row.int("deactivated_at"), seatExpiresAt: row.int("seat_expires_at"))
    }

    static func audit(_ row: SQLiteRow) throws -> AuditRecord {
        AuditRecord(
            sequence: try row.requiredInt("seq"), at: try row.requiredInt("at"), actor: try row.text("actor"),
            action: try row.text("action"), subject: try row.text("subject"), detail: try row.text("detail"),
            hash: try row.text("hash"))
    }

    /// Appends an entry after the current last one; call inside a transaction.
    func appendAudit(actor: String, action: String, subject: String, detail: String, now: Int64) async throws {
        let last = try await rows("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").first
        let sequence = (last?.int("seq") ?? 0) + 1
        let previous = try last?.text("hash") ?? AuditChain.genesis
        let hash = AuditChain.hash(
            previous: previous, sequence: sequence, at: now, actor: actor, action: action, subject: subject,
            detail: detail)
        _ = try await rows(
            "INSERT INTO audit(seq, at, actor, action, subject, detail, hash) VALUES(?, ?, ?, ?, ?, ?, ?)",
            [.int(sequence), .int(now), .text(actor), .text(action), .text(subject), .text(detail), .text(hash)])
    }

    public func audit(after: Int64, limit: Int) async throws -> [AuditRecord] {
        try await read {
            try await rows("SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?", [.int(after), .integer(limit)])
                .map(Self.audit)
        }
    }
}
