import SQLiteNIO

/// Rotation on SQLite (docs/SERVER.md §Rotation): an admin's token, and the secrets wrapped under the
/// master key re-wrapped under a new one — each in one transaction.
extension SQLiteStore {
    public func rotateAdminToken(name: String, tokenHash: String, actor: String, now: Int64) async throws {
        try await transaction {
            guard try await rows("SELECT id FROM admins WHERE name = ?", [.text(name)]).first != nil else {
                throw StoreError.notFound("admin \(name)")
            }
            _ = try await rows("UPDATE admins SET token_hash = ? WHERE name = ?", [.text(tokenHash), .text(name)])
            _ = try await rows("DELETE FROM console_sessions WHERE admin = ?", [.text(name)])
            try await appendAudit(actor: actor, action: "admin.token.rotate", subject: name, detail: "", now: now)
        }
    }

    public func rewrapSecrets(
        settings names: [String], actor: String, now: Int64,
        _ rewrap: @Sendable (_ label: String, _ wrapped: [UInt8]) throws -> [UInt8]
    ) async throws -> Int {
        try await transaction {
            var count = 0
            for name in names.sorted() {
                guard let row = try await rows("SELECT value FROM settings WHERE name = ?", [.text(name)]).first
                else { continue }
                _ = try await rows(
                    "UPDATE settings SET value = ? WHERE name = ?",
                    [.bytes(try rewrap(name, try row.bytes("value"))), .text(name)])
                count += 1
            }
            for row in try await rows("SELECT file_id, wrapped_key FROM versions ORDER BY file_id") {
                let fileID = try row.text("file_id")
                _ = try await rows(
                    "UPDATE versions SET wrapped_key = ? WHERE file_id = ?",
                    [.bytes(try rewrap("file-key " + fileID, try row.bytes("wrapped_key"))), .text(fileID)])
                count += 1
            }
            try await appendAudit(
                actor: actor, action: "master_key.rotate", subject: "server", detail: "rewrapped=\(count)", now: now)
            return count
        }
    }
}
