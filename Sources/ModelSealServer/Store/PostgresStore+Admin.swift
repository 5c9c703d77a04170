import PostgresNIO

/// Admin operations of the PostgreSQL store; every change appends its audit entry in the same transaction.
extension PostgresStore {
    public func setting(_ name: String) async throws -> [UInt8]? {
        try await read { try await $0.rows("SELECT value FROM settings WHERE name = \(name)").first?.bytes("value") }
    }

    public func initializeSetting(_ name: String, value: [UInt8]) async throws -> [UInt8] {
        try await transaction { db in
            // A second server starting at the same time waits on the first one's row, then keeps it.
            _ = try await db.rows(
                "INSERT INTO settings(name, value) VALUES(\(name), \(bytes: value)) ON CONFLICT(name) DO NOTHING")
            return try await db.rows("SELECT value FROM settings WHERE name = \(name)").first?.bytes("value") ?? value
        }
    }

    public func addAdmin(name: String, tokenHash: String, actor: String, now: Int64) async throws {
        try await transaction { db in
            _ = try await db.rows(
                """
                INSERT INTO admins(id, name, token_hash, created_at)
                VALUES(\(Identifier.new("adm")), \(name), \(tokenHash), \(now))
                """)
            try await appendAudit(db, actor: actor, action: "admin.add", subject: name, detail: "", now: now)
        }
    }

    public func admin(tokenHash: String) async throws -> String? {
        try await read {
            try await $0.rows("SELECT name FROM admins WHERE token_hash = \(tokenHash)").first?.text("name")
        }
    }

    public func adminCount() async throws -> Int {
        try await read { Int(try await $0.rows("SELECT COUNT(*) AS n FROM admins").first?.int("n") ?? 0) }
    }

    public func addCustomer(name: String, actor: String, now: Int64) async throws -> CustomerRecord {
        let id = try await addNamed("customers", prefix: "cus", action: "customer.add", name, actor: actor, now: now)
        return CustomerRecord(id: id, name: name, createdAt: now)
    }

    public func customers(after: String?, limit: Int) async throws -> [CustomerRecord] {
        try await read {
            try await $0.rows("SELECT * FROM customers WHERE id > \(after ?? "") ORDER BY id LIMIT \(limit)")
                .map(Self.customer)
        }
    }

    public func customer(named name: String) async throws -> CustomerRecord? {
        try await read { try await $0.rows("SELECT * FROM customers WHERE name = \(name)").first.map(Self.customer) }
    }

    public func addModel(name: String, actor: String, now: Int64) async throws -> ModelRecord {
        let id = try await addNamed("models", prefix: "mod", action: "model.add", name, actor: actor, now: now)
        return ModelRecord(id: id, name: name, createdAt: now)
    }

    public func models(after: String?, limit: Int) async throws -> [ModelRecord] {
        try await read {
            try await $0.rows("SELECT * FROM models WHERE id > \(after ?? "") ORDER BY id LIMIT \(limit)")
                .map(Self.model)
        }
    }

    public func model(named name: String) async throws -> ModelRecord? {
        try await read { try await $0.rows("SELECT * FROM models WHERE name = \(name)").first.map(Self.model) }
    }

    public func model(id: String) async throws -> ModelRecord? {
        try await read { try await $0.rows("SELECT * FROM models WHERE id = \(id)").first.map(Self.model) }
    }

    public func addVersion(modelID: String, fileID: String, wrappedKey: [UInt8], actor: String, now: Int64)
        async throws -> VersionRecord
    {
        let record = VersionRecord(fileID: fileID, modelID: modelID, wrappedKey: wrappedKey, createdAt: now)
        try await transaction { db in
            _ = try await db.rows(
                """
                INSERT INTO versions(file_id, model_id, wrapped_key, created_at)
                VALUES(\(fileID), \(modelID), \(bytes: wrappedKey), \(now))
                """)
            try await appendAudit(db, actor: actor, action: "version.add", subject: fileID, detail: modelID, now: now)
        }
        return record
    }

    public func versions(modelID: String) async throws -> [VersionRecord] {
        try await read {
            try await $0.rows("SELECT * FROM versions WHERE model_id = \(modelID) ORDER BY created_at, file_id")
                .map(Self.version)
        }
    }

    public func addLicense(
        customerID: String, modelID: String, tokenHash: String, terms: LicenseTerms, actor: String, now: Int64
    ) async throws -> LicenseRecord {
        let record = LicenseRecord.new(
            customerID: customerID, modelID: modelID, tokenHash: tokenHash, terms: terms, now: now)
        let policy = terms.policy
        try await transaction { db in
            _ = try await db.rows(
                """
                INSERT INTO licenses(id, customer_id, model_id, token_hash, max_machines, max_loads, expires_at,
                    lease_seconds, created_at, policy, max_loads_day, max_loads_month, grace_seconds,
                    cooldown_seconds) VALUES(\(record.id), \(customerID), \(modelID), \(tokenHash),
                    \(terms.maxMachines), \(terms.maxLoads), \(terms.expiresAt), \(terms.leaseSeconds), \(now),
                    \(policy.kind.rawValue), \(policy.maxLoadsPerDay), \(policy.maxLoadsPerMonth),
                    \(policy.graceSeconds), \(policy.cooldownSeconds))
                """)
            try await appendAudit(
                db, actor: actor, action: "license.add", subject: record.id,
                detail: "customer=\(customerID) model=\(modelID) max_machines=\(terms.maxMachines) "
                    + "policy=\(policy.kind.rawValue)", now: now)
        }
        return record
    }

    public func license(id: String) async throws -> LicenseRecord? {
        try await read { try await $0.rows("SELECT * FROM licenses WHERE id = \(id)").first.map(Self.license) }
    }

    public func licenses(after: String?, limit: Int) async throws -> [LicenseRecord] {
        try await read {
            try await $0.rows("SELECT * FROM licenses WHERE id > \(after ?? "") ORDER BY id LIMIT \(limit)")
                .map(Self.license)
        }
    }

    public func revokeLicense(id: String, actor: String, now: Int64) async throws {
        try await transaction { db in
            // The update waits for a release holding the license row; every release after it sees the revocation.
            let updated = try await db.rows(
                "UPDATE licenses SET revoked_at = COALESCE(revoked_at, \(now)) WHERE id = \(id) RETURNING id")
            guard !updated.isEmpty else { throw StoreError.notFound("license \(id)") }
            try await appendAudit(db, actor: actor, action: "license.revoke", subject: id, detail: "", now: now)
        }
    }

    public func machines(licenseID: String) async throws -> [MachineRecord] {
        try await read {
            try await $0.rows("SELECT * FROM machines WHERE license_id = \(licenseID) ORDER BY id").map(Self.machine)
        }
    }

    public func revokeMachine(id: String, actor: String, now: Int64) async throws {
        try await transaction { db in
            let updated = try await db.rows(
                "UPDATE machines SET revoked_at = COALESCE(revoked_at, \(now)) WHERE id = \(id) RETURNING id")
            guard !updated.isEmpty else { throw StoreError.notFound("machine \(id)") }
            try await appendAudit(db, actor: actor, action: "machine.revoke", subject: id, detail: "", now: now)
        }
    }

    /// Inserts a row of a `(id, name, created_at)` table with its audit entry; returns the new id.
    func addNamed(_ table: String, prefix: String, action: String, _ name: String, actor: String, now: Int64)
        async throws -> String
    {
        let id = Identifier.new(prefix)
        try await transaction { db in
            _ = try await db.rows(
                PostgresQuery(
                    unsafeSQL: "INSERT INTO \(table)(id, name, created_at) VALUES($1, $2, $3)",
                    binds: try Self.binds(id, name, now)))
            try await appendAudit(db, actor: actor, action: action, subject: id, detail: name, now: now)
        }
        return id
    }
}
