import ModelSealCore
import ModelSealServerProtocol

/// A database row as both stores read it: columns by name, typed (docs/SERVER.md §Schema). The record
/// mappings below are written once for SQLite and PostgreSQL rows.
protocol StoreRow {
    func text(_ name: String) throws -> String
    /// The integer in the column, `nil` when it is NULL.
    func int(_ name: String) -> Int64?
    func bytes(_ name: String) throws -> [UInt8]
}

extension StoreRow {
    func requiredInt(_ name: String) throws -> Int64 {
        guard let value = int(name) else { throw StoreError.database("column \(name) is not an integer") }
        return value
    }
}

/// Row mappings shared by both stores (`Self.license(row)` in either).
extension ServerStore {
    static func customer(_ row: some StoreRow) throws -> CustomerRecord {
        CustomerRecord(id: try row.text("id"), name: try row.text("name"), createdAt: try row.requiredInt("created_at"))
    }

    static func model(_ row: some StoreRow) throws -> ModelRecord {
        ModelRecord(id: try row.text("id"), name: try row.text("name"), createdAt: try row.requiredInt("created_at"))
    }

    static func version(_ row: some StoreRow) throws -> VersionRecord {
        VersionRecord(
            fileID: try row.text("file_id"), modelID: try row.text("model_id"),
            wrappedKey: try row.bytes("wrapped_key"),
            createdAt: try row.requiredInt("created_at"))
    }

    static func license(_ row: some StoreRow) throws -> LicenseRecord {
        var record = LicenseRecord(
            id: try row.text("id"), customerID: try row.text("customer_id"), modelID: try row.text("model_id"),
            tokenHash: try row.text("token_hash"), maxMachines: try row.requiredInt("max_machines"),
            maxLoads: row.int("max_loads"), loads: try row.requiredInt("loads"), expiresAt: row.int("expires_at"),
            leaseSeconds: try row.requiredInt("lease_seconds"), createdAt: try row.requiredInt("created_at"),
            revokedAt: row.int("revoked_at"))
        record.policy = try policy(row)
        return record
    }

    /// The license's policy columns (migration 4, docs/SERVER.md §Policies).
    static func policy(_ row: some StoreRow) throws -> LicensePolicy {
        guard let kind = LicensePolicy.Kind(rawValue: try row.text("policy")) else {
            throw StoreError.database("column policy is not a known license policy")
        }
        return LicensePolicy(
            kind: kind, maxLoadsPerDay: row.int("max_loads_day"), maxLoadsPerMonth: row.int("max_loads_month"),
            graceSeconds: row.int("grace_seconds"), cooldownSeconds: try row.requiredInt("cooldown_seconds"))
    }

    static func machine(_ row: some StoreRow) throws -> MachineRecord {
        guard let kem = ReleaseKEM(rawValue: try row.text("machine_kem")) else {
            throw StoreError.database("column machine_kem is not a known KEM")
        }
        guard let algorithm = RequestSigningAlgorithm(rawValue: try row.text("signing_algorithm")) else {
            throw StoreError.database("column signing_algorithm is not a known signing algorithm")
        }
        return MachineRecord(
            id: try row.text("id"), licenseID: try row.text("license_id"), machineKey: try row.bytes("machine_key"),
            signingKey: try row.bytes("signing_key"), label: try row.text("label"),
            activatedAt: try row.requiredInt("activated_at"), revokedAt: row.int("revoked_at"),
            deactivatedAt: row.int("deactivated_at"), seatExpiresAt: row.int("seat_expires_at"), machineKEM: kem,
            signingAlgorithm: algorithm, attestedAt: row.int("attested_at"))
    }

    static func audit(_ row: some StoreRow) throws -> AuditRecord {
        AuditRecord(
            sequence: try row.requiredInt("seq"), at: try row.requiredInt("at"), actor: try row.text("actor"),
            action: try row.text("action"), subject: try row.text("subject"), detail: try row.text("detail"),
            hash: try row.text("hash"))
    }

    /// The console's license list: licenses with their customer's and model's names.
    static var listingColumns: String {
        """
        SELECT l.*, c.name AS customer_name, m.name AS model_name FROM licenses l
        JOIN customers c ON c.id = l.customer_id JOIN models m ON m.id = l.model_id
        """
    }

    static func listing(_ row: some StoreRow) throws -> LicenseListing {
        LicenseListing(
            license: try license(row), customerName: try row.text("customer_name"),
            modelName: try row.text("model_name"))
    }

    static func activity(_ row: some StoreRow) throws -> MachineActivity {
        MachineActivity(
            machine: try machine(row), lastSeenAt: row.int("last_seen_at"), leaseExpiresAt: row.int("lease_expires_at"))
    }

    static func consoleSession(_ row: some StoreRow) throws -> ConsoleSession {
        ConsoleSession(
            admin: try row.text("admin"), csrf: try row.text("csrf"), expiresAt: try row.requiredInt("expires_at"))
    }

    static func dailyCount(_ row: some StoreRow) throws -> DailyCount {
        DailyCount(day: try row.requiredInt("day"), kind: try row.text("kind"), count: try row.requiredInt("count"))
    }

    static func mark(_ row: some StoreRow) throws -> MarkRecord {
        let parameters = (try? JSONParser.parse(Array(try row.text("parameters").utf8))) ?? .object([:])
        return MarkRecord(
            seq: try row.requiredInt("seq"), id: try row.text("id"),
            mark: NewMark(
                customer: try row.text("customer"), modelID: try row.text("model_id"),
                version: try row.text("version"), tiers: try row.text("tiers"), parameters: parameters),
            actor: try row.text("actor"), createdAt: try row.requiredInt("created_at"))
    }
}
