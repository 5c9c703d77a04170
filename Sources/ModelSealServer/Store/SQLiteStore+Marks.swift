import ModelSealCore
import SQLiteNIO

/// Named admins' passwords and the mark registry on SQLite (migration 3).
extension SQLiteStore {
    public func setAdminPassword(name: String, passwordHash: String, actor: String, now: Int64) async throws {
        try await transaction {
            let changed = try await rows(
                "UPDATE admins SET password_hash = ? WHERE name = ? RETURNING id", [.text(passwordHash), .text(name)])
            guard !changed.isEmpty else { throw StoreError.notFound("no admin named \(name)") }
            try await appendAudit(actor: actor, action: "admin.password", subject: name, detail: "", now: now)
        }
    }

    public func adminPasswordHash(name: String) async throws -> String? {
        try await read {
            try await rows("SELECT password_hash FROM admins WHERE name = ?", [.text(name)]).first?
                .column("password_hash")?.string
        }
    }

    public func addMark(_ mark: NewMark, actor: String, now: Int64) async throws -> MarkRecord {
        let id = Identifier.new("mrk")
        let parameters = JSONWriter.serialize(mark.parameters)
        return try await transaction {
            let row = try await rows(
                """
                INSERT INTO marks(id, customer, model_id, version, tiers, parameters, actor, created_at)
                VALUES(?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq
                """,
                [
                    .text(id), .text(mark.customer), .text(mark.modelID), .text(mark.version), .text(mark.tiers),
                    .text(parameters), .text(actor), .int(now),
                ])
            try await appendAudit(
                actor: actor, action: "mark.add", subject: id, detail: "\(mark.customer) \(mark.modelID)", now: now)
            return MarkRecord(
                seq: try row.first?.requiredInt("seq") ?? 0, id: id, mark: mark, actor: actor, createdAt: now)
        }
    }

    public func marks(modelID: String?, after: Int64, limit: Int) async throws -> [MarkRecord] {
        try await read {
            let found: [SQLiteRow]
            if let modelID {
                found = try await rows(
                    "SELECT * FROM marks WHERE model_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                    [.text(modelID), .int(after), .integer(limit)])
            } else {
                found = try await rows(
                    "SELECT * FROM marks WHERE seq > ? ORDER BY seq LIMIT ?", [.int(after), .integer(limit)])
            }
            return try found.map(Self.mark)
        }
    }
}
