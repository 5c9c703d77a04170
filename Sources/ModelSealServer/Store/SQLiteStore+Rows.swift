import SQLiteNIO

/// The audit chain of the SQLite store (row mappings: StoreRow.swift).
extension SQLiteStore {
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
