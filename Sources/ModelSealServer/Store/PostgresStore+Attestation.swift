import PostgresNIO

/// EK attestation of a machine key on PostgreSQL (docs/SERVER.md §TPM): under the license's row lock, like
/// every step that writes a machine.
extension PostgresStore {
    public func expectAttestation(machineID: String, secretHash: String) async throws {
        try await transaction { db in
            _ = try await db.rows("UPDATE machines SET attestation_hash = \(secretHash) WHERE id = \(machineID)")
        }
    }

    public func attest(machineID: String, secretHash: String, now: Int64) async throws -> MachineRecord {
        try await transaction { db in
            let (machine, license) = try await machineAndLicense(db, machineID)
            let updated = try await db.rows(
                """
                UPDATE machines SET attested_at = \(now), attestation_hash = NULL
                WHERE id = \(machineID) AND attestation_hash = \(secretHash) RETURNING *
                """)
            guard let attested = try updated.first.map(Self.machine) else { throw Refusal.notAttested }
            try await appendAudit(
                db, actor: "machine:\(machine.id)", action: "machine.attest", subject: license.id, detail: "ek",
                now: now)
            return attested
        }
    }
}
