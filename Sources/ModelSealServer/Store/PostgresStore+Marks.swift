import ModelSealCore
import PostgresNIO

/// Named admins' passwords, the mark registry and setting rotation on PostgreSQL (migration 3).
extension PostgresStore {
    public func setAdminPassword(name: String, passwordHash: String, actor: String, now: Int64) async throws {
        try await transaction { db in
            let changed = try await db.rows(
                "UPDATE admins SET password_hash = \(passwordHash) WHERE name = \(name) RETURNING id")
            guard !changed.isEmpty else { throw StoreError.notFound("no admin named \(name)") }
            try await appendAudit(db, actor: actor, action: "admin.password", subject: name, detail: "", now: now)
        }
    }

    public func adminPasswordHash(name: String) async throws -> String? {
        try await read {
            try await $0.rows("SELECT password_hash FROM admins WHERE name = \(name)").first?.text("password_hash")
        }
    }

    public func addMark(_ mark: NewMark, actor: String, now: Int64) async throws -> MarkRecord {
        let id = Identifier.new("mrk")
        let parameters = JSONWriter.serialize(mark.parameters)
        return try await transaction { db in
            // The audit entry first: its lock makes the identity below follow commit order across processes.
            try await appendAudit(
                db, actor: actor, action: "mark.add", subject: id, detail: "\(mark.customer) \(mark.modelID)", now: now)
            let row = try await db.rows(
                """
                INSERT INTO marks(id, customer, model_id, version, tiers, parameters, actor, created_at)
                VALUES(\(id), \(mark.customer), \(mark.modelID), \(mark.version), \(mark.tiers), \(parameters),
                    \(actor), \(now)) RETURNING seq
                """)
            return MarkRecord(
                seq: try row.first?.requiredInt("seq") ?? 0, id: id, mark: mark, actor: actor, createdAt: now)
        }
    }

    public func marks(modelID: String?, after: Int64, limit: Int) async throws -> [MarkRecord] {
        try await read { db in
            if let modelID {
                return try await db.rows(
                    "SELECT * FROM marks WHERE model_id = \(modelID) AND seq > \(after) ORDER BY seq LIMIT \(limit)"
                ).map(Self.mark)
            }
            return try await db.rows("SELECT * FROM marks WHERE seq > \(after) ORDER BY seq LIMIT \(limit)")
                .map(Self.mark)
        }
    }

    public func replaceSettings(
        _ values: [String: [UInt8]], whileSetting name: String, holds expected: [UInt8], actor: String,
        action: String, now: Int64
    ) async throws {
        try await transaction { db in
            // The row lock makes a second rotation wait, then see the first one's value and refuse.
            let current = try await db.rows("SELECT value FROM settings WHERE name = \(name) FOR UPDATE").first?
                .bytes("value")
            guard current == expected else {
                throw StoreError.conflict("the setting \(name) changed meanwhile (another rotation?): try again")
            }
            for (key, value) in values.sorted(by: { $0.key < $1.key }) {
                _ = try await db.rows(
                    """
                    INSERT INTO settings(name, value) VALUES(\(key), \(bytes: value))
                    ON CONFLICT(name) DO UPDATE SET value = excluded.value
                    """)
            }
            try await appendAudit(db, actor: actor, action: action, subject: name, detail: "", now: now)
        }
    }
}
