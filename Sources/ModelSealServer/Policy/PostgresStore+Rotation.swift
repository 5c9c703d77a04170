import PostgresNIO

/// Rotation on PostgreSQL (docs/SERVER.md §Rotation): an admin's token, and the secrets wrapped under the
/// master key re-wrapped under a new one — each in one transaction.
extension PostgresStore {
    public func rotateAdminToken(name: String, tokenHash: String, actor: String, now: Int64) async throws {
        try await transaction { db in
            guard try await db.rows("SELECT id FROM admins WHERE name = \(name) FOR UPDATE").first != nil else {
                throw StoreError.notFound("admin \(name)")
            }
            _ = try await db.rows("UPDATE admins SET token_hash = \(tokenHash) WHERE name = \(name)")
            _ = try await db.rows("DELETE FROM console_sessions WHERE admin = \(name)")
            try await appendAudit(db, actor: actor, action: "admin.token.rotate", subject: name, detail: "", now: now)
        }
    }

    public func rewrapSecrets(
        settings names: [String], actor: String, now: Int64,
        _ rewrap: @Sendable (_ label: String, _ wrapped: [UInt8]) throws -> [UInt8]
    ) async throws -> Int {
        try await transaction { db in
            var count = 0
            for name in names.sorted() {
                guard let row = try await db.rows("SELECT value FROM settings WHERE name = \(name) FOR UPDATE").first
                else { continue }
                let value = try rewrap(name, try row.bytes("value"))
                _ = try await db.rows("UPDATE settings SET value = \(bytes: value) WHERE name = \(name)")
                count += 1
            }
            for row in try await db.rows("SELECT file_id, wrapped_key FROM versions ORDER BY file_id FOR UPDATE") {
                let fileID = try row.text("file_id")
                let value = try rewrap("file-key " + fileID, try row.bytes("wrapped_key"))
                _ = try await db.rows("UPDATE versions SET wrapped_key = \(bytes: value) WHERE file_id = \(fileID)")
                count += 1
            }
            try await appendAudit(
                db, actor: actor, action: "master_key.rotate", subject: "server", detail: "rewrapped=\(count)",
                now: now)
            return count
        }
    }
}
