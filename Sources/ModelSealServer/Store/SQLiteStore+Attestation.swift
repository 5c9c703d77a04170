import SQLiteNIO

/// EK attestation of a machine key on SQLite (docs/SERVER.md §TPM).
extension SQLiteStore {
    public func expectAttestation(machineID: String, secretHash: String) async throws {
        try await transaction {
            _ = try await rows(
                "UPDATE machines SET attestation_hash = ? WHERE id = ?", [.text(secretHash), .text(machineID)])
        }
    }

    public func attest(machineID: String, secretHash: String, now: Int64) async throws -> MachineRecord {
        try await transaction {
            let (machine, license) = try await machineAndLicense(machineID, now: now)
            let updated = try await rows(
                """
                UPDATE machines SET attested_at = ?, attestation_hash = NULL
                WHERE id = ? AND attestation_hash = ? RETURNING *
                """,
                [.int(now), .text(machineID), .text(secretHash)])
            guard let attested = try updated.first.map(Self.machine) else { throw Refusal.notAttested }
            try await appendAudit(
                actor: "machine:\(machine.id)", action: "machine.attest", subject: license.id, detail: "ek", now: now)
            return attested
        }
    }
}
