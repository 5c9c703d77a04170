import SQLiteNIO

/// Admin operations of the SQLite store; every change appends its audit entry in the same transaction.
extension SQLiteStore {
    public func setting(_ name: String) async throws -> [UInt8]? {
        try await read {
            try await rows("SELECT value FROM settings WHERE name = ?", [.text(name)]).first?.bytes("value")
        }
    }

    public func initializeSetting(_ name: String, value: [UInt8]) async throws -> [UInt8] {
        try await transaction {
            _ = try await rows(
                "INSERT INTO settings(name, value) VALUES(?, ?) ON CONFLICT(name) DO NOTHING",
                [.text(name), .bytes(value)])
            return try await rows("SELECT value FROM settings WHERE name = ?", [.text(name)]).first?.bytes("value")
                ?? value
        }
    }

    public func replaceSettings(
        _ values: [String: [UInt8]], whileSetting name: String, holds expected: [UInt8], actor: String,
        action: String, now: Int64
    ) async throws {
        try await transaction {
            let current = try await rows("SELECT value FROM settings WHERE name = ?", [.text(name)]).first?.bytes(
                "value")
            guard current == expected else {
                throw StoreError.conflict("the setting \(name) changed meanwhile (another rotation?): try again")
            }
            for (key, value) in values.sorted(by: { $0.key < $1.key }) {
                _ = try await rows(
                    "INSERT INTO settings(name, value) VALUES(?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                    [.text(key), .bytes(value)])
            }
            try await appendAudit(actor: actor, action: action, subject: name, detail: "", now: now)
        }
    }

    public func addAdmin(name: String, tokenHash: String, actor: String, now: Int64) async throws {
        try await transaction {
            _ = try await rows(
                "INSERT INTO admins(id, name, token_hash, created_at) VALUES(?, ?, ?, ?)",
                [.text(Identifier.new("adm")), .text(name), .text(tokenHash), .int(now)])
            try await appendAudit(actor: actor, action: "admin.add", subject: name, detail: "", now: now)
        }
    }

    public func admin(tokenHash: String) async throws -> String? {
        try await read {
            try await rows("SELECT name FROM admins WHERE token_hash = ?", [.text(tokenHash)]).first?.text("name")
        }
    }

    public func adminCount() async throws -> Int {
        try await read { Int(try await rows("SELECT COUNT(*) AS n FROM admins").first?.int("n") ?? 0) }
    }

    public func addCustomer(name: String, actor: String, now: Int64) async throws -> CustomerRecord {
        let record = CustomerRecord(id: Identifier.new("cus"), name: name, createdAt: now)
        try await transaction {
            _ = try await rows(
                "INSERT INTO customers(id, name, created_at) VALUES(?, ?, ?)",
                [.text(record.id), .text(name), .int(now)])
            try await appendAudit(actor: actor, action: "customer.add", subject: record.id, detail: name, now: now)
        }
        return record
    }

    public func customers(after: String?, limit: Int) async throws -> [CustomerRecord] {
        try await read {
            try await rows(
                "SELECT * FROM customers WHERE id > ? ORDER BY id LIMIT ?", [.text(after ?? ""), .integer(limit)]
            ).map(Self.customer)
        }
    }

    public func customer(named name: String) async throws -> CustomerRecord? {
        try await read {
            try await rows("SELECT * FROM customers WHERE name = ?", [.text(name)]).first.map(Self.customer)
        }
    }

    public func addModel(name: String, actor: String, now: Int64) async throws -> ModelRecord {
        let record = ModelRecord(id: Identifier.new("mod"), name: name, createdAt: now)
        try await transaction {
            _ = try await rows(
                "INSERT INTO models(id, name, created_at) VALUES(?, ?, ?)", [.text(record.id), .text(name), .int(now)])
            try await appendAudit(actor: actor, action: "model.add", subject: record.id, detail: name, now: now)
        }
        return record
    }

    public func models(after: String?, limit: Int) async throws -> [ModelRecord] {
        try await read {
            try await rows(
                "SELECT * FROM models WHERE id > ? ORDER BY id LIMIT ?", [.text(after ?? ""), .integer(limit)]
            )
            .map(Self.model)
        }
    }

    public func model(named name: String) async throws -> ModelRecord? {
        try await read { try await rows("SELECT * FROM models WHERE name = ?", [.text(name)]).first.map(Self.model) }
    }

    public func model(id: String) async throws -> ModelRecord? {
        try await read { try await rows("SELECT * FROM models WHERE id = ?", [.text(id)]).first.map(Self.model) }
    }

    public func addVersion(modelID: String, fileID: String, wrappedKey: [UInt8], actor: String, now: Int64)
        async throws -> VersionRecord
    {
        let record = VersionRecord(fileID: fileID, modelID: modelID, wrappedKey: wrappedKey, createdAt: now)
        try await transaction {
            _ = try await rows(
                "INSERT INTO versions(file_id, model_id, wrapped_key, created_at) VALUES(?, ?, ?, ?)",
                [.text(fileID), .text(modelID), .bytes(wrappedKey), .int(now)])
            try await appendAudit(actor: actor, action: "version.add", subject: fileID, detail: modelID, now: now)
        }
        return record
    }

    public func versions(modelID: String) async throws -> [VersionRecord] {
        try await read {
            try await rows("SELECT * FROM versions WHERE model_id = ? ORDER BY created_at, file_id", [.text(modelID)])
                .map(Self.version)
        }
    }

    public func addLicense(
        customerID: String, modelID: String, tokenHash: String, terms: LicenseTerms, actor: String, now: Int64
    ) async throws -> LicenseRecord {
        let record = LicenseRecord.new(
            customerID: customerID, modelID: modelID, tokenHash: tokenHash, terms: terms, now: now)
        let policy = terms.policy
        try await transaction {
            _ = try await rows(
                """
                INSERT INTO licenses(id, customer_id, model_id, token_hash, max_machines, max_loads, expires_at,
                    lease_seconds, created_at, policy, max_loads_day, max_loads_month, grace_seconds,
                    cooldown_seconds) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(record.id), .text(customerID), .text(modelID), .text(tokenHash), .int(terms.maxMachines),
                    .int(terms.maxLoads), .int(terms.expiresAt), .int(terms.leaseSeconds), .int(now),
                    .text(policy.kind.rawValue), .int(policy.maxLoadsPerDay), .int(policy.maxLoadsPerMonth),
                    .int(policy.graceSeconds), .int(policy.cooldownSeconds),
                ])
            try await appendAudit(
                actor: actor, action: "license.add", subject: record.id,
                detail: "customer=\(customerID) model=\(modelID) max_machines=\(terms.maxMachines) "
                    + "policy=\(policy.kind.rawValue)", now: now)
        }
        return record
    }

    public func license(id: String) async throws -> LicenseRecord? {
        try await read { try await rows("SELECT * FROM licenses WHERE id = ?", [.text(id)]).first.map(Self.license) }
    }

    public func licenses(after: String?, limit: Int) async throws -> [LicenseRecord] {
        try await read {
            try await rows(
                "SELECT * FROM licenses WHERE id > ? ORDER BY id LIMIT ?", [.text(after ?? ""), .integer(limit)]
            )
            .map(Self.license)
        }
    }

    public func revokeLicense(id: String, actor: String, now: Int64) async throws {
        try await transaction {
            guard try await rows("SELECT id FROM licenses WHERE id = ?", [.text(id)]).first != nil else {
                throw StoreError.notFound("license \(id)")
            }
            _ = try await rows(
                "UPDATE licenses SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?", [.int(now), .text(id)])
            try await appendAudit(actor: actor, action: "license.revoke", subject: id, detail: "", now: now)
        }
    }

    public func machines(licenseID: String) async throws -> [MachineRecord] {
        try await read {
            try await rows("SELECT * FROM machines WHERE license_id = ? ORDER BY id", [.text(licenseID)]).map(
                Self.machine)
        }
    }

    public func revokeMachine(id: String, actor: String, now: Int64) async throws {
        try await transaction {
            guard try await rows("SELECT id FROM machines WHERE id = ?", [.text(id)]).first != nil else {
                throw StoreError.notFound("machine \(id)")
            }
            _ = try await rows(
                "UPDATE machines SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?", [.int(now), .text(id)])
            try await appendAudit(actor: actor, action: "machine.revoke", subject: id, detail: "", now: now)
        }
    }
}
