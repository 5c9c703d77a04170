import ModelSealServerProtocol
import SQLiteNIO

/// Activation and key release on SQLite: the policy check, the count and the stored answer in one
/// `BEGIN IMMEDIATE` transaction.
extension SQLiteStore {
    public func activate(
        tokenHash: String, machineKey: [UInt8], machineKEM: ReleaseKEM, signingKey: [UInt8],
        signingAlgorithm: RequestSigningAlgorithm, label: String, now: Int64
    ) async throws -> MachineRecord {
        try await transaction {
            guard
                let license = try await rows("SELECT * FROM licenses WHERE token_hash = ?", [.text(tokenHash)])
                    .first.map(Self.license)
            else { throw Refusal.invalidToken }
            try Refusal.check(license, now: now)
            let existing = try await rows(
                "SELECT * FROM machines WHERE license_id = ? AND machine_key = ?",
                [.text(license.id), .bytes(machineKey)]
            ).first.map(Self.machine)
            if let existing {
                if existing.revokedAt != nil { throw Refusal.machineRevoked }
                if let deactivated = existing.deactivatedAt, deactivated + license.policy.cooldownSeconds <= now {
                    // Its slot was freed when the cooldown passed: taking one back needs a free slot.
                    try await checkSlot(license, except: existing.id, now: now)
                }
                _ = try await rows(
                    """
                    UPDATE machines SET signing_key = ?, signing_algorithm = ?, label = ?, deactivated_at = NULL
                    WHERE id = ?
                    """,
                    [.bytes(signingKey), .text(signingAlgorithm.rawValue), .text(label), .text(existing.id)])
                try await appendAudit(
                    actor: "machine:\(existing.id)", action: "machine.reactivate", subject: license.id, detail: label,
                    now: now)
                return try await rows("SELECT * FROM machines WHERE id = ?", [.text(existing.id)]).first.map(
                    Self.machine)
                    ?? existing
            }
            try await checkSlot(license, except: nil, now: now)
            let record = MachineRecord(
                id: Identifier.new("mac"), licenseID: license.id, machineKey: machineKey, signingKey: signingKey,
                label: label, activatedAt: now, revokedAt: nil, machineKEM: machineKEM,
                signingAlgorithm: signingAlgorithm)
            _ = try await rows(
                """
                INSERT INTO machines(id, license_id, machine_key, machine_kem, signing_key, signing_algorithm, label,
                    activated_at)
                VALUES(?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(record.id), .text(license.id), .bytes(machineKey), .text(machineKEM.rawValue),
                    .bytes(signingKey), .text(signingAlgorithm.rawValue), .text(label), .int(now),
                ])
            try await appendAudit(
                actor: "machine:\(record.id)", action: "machine.activate", subject: license.id, detail: label, now: now)
            return record
        }
    }

    public func machine(id: String) async throws -> MachineRecord? {
        try await read { try await rows("SELECT * FROM machines WHERE id = ?", [.text(id)]).first.map(Self.machine) }
    }

    public func release(
        machineID: String, nonce: String, fileID: String, now: Int64,
        answer: @Sendable (LicenseRecord, VersionRecord) throws -> [UInt8]
    ) async throws -> [UInt8] {
        try await transaction {
            if let stored = try await rows(
                "SELECT answer, file_id FROM releases WHERE machine_id = ? AND nonce = ?",
                [.text(machineID), .text(nonce)]
            ).first {
                guard try stored.text("file_id") == fileID else { throw Refusal.nonceReused }
                return try stored.bytes("answer")
            }
            guard
                let machine = try await rows("SELECT * FROM machines WHERE id = ?", [.text(machineID)]).first.map(
                    Self.machine)
            else { throw StoreError.notFound("machine \(machineID)") }
            if machine.revokedAt != nil { throw Refusal.machineRevoked }
            if machine.deactivatedAt != nil { throw Refusal.machineDeactivated }
            guard
                let license = try await rows("SELECT * FROM licenses WHERE id = ?", [.text(machine.licenseID)]).first
                    .map(Self.license)
            else { throw StoreError.notFound("license \(machine.licenseID)") }
            try Refusal.check(license, now: now)
            guard
                let version = try await rows("SELECT * FROM versions WHERE file_id = ?", [.text(fileID)]).first.map(
                    Self.version)
            else { throw StoreError.notFound("version \(fileID): the vendor has not added this file to the server") }
            guard version.modelID == license.modelID else { throw Refusal.wrongModel }
            if let maximum = license.maxLoads, license.loads >= maximum { throw Refusal.loadsExhausted(license) }
            try await checkMeter(license, now: now)
            try await takeSeat(machine, license, now: now)
            let bytes = try answer(license, version)
            _ = try await rows("UPDATE licenses SET loads = loads + 1 WHERE id = ?", [.text(license.id)])
            _ = try await rows(
                "INSERT INTO releases(machine_id, nonce, license_id, file_id, answer, created_at) VALUES(?, ?, ?, ?, ?, ?)",
                [.text(machineID), .text(nonce), .text(license.id), .text(fileID), .bytes(bytes), .int(now)])
            try await recordReleaseRollup(machineID: machineID, license: license, now: now)
            try await countUsage(license, now: now)
            try await appendAudit(
                actor: "machine:\(machineID)", action: "key.release", subject: license.id, detail: fileID, now: now)
            return bytes
        }
    }
}
