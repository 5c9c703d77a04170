import ModelSealCore

/// The API's JSON for each record (docs/openapi.json's schemas).
extension CustomerRecord {
    var json: JSONValue { .object(["id": .string(id), "name": .string(name), "created_at": .integer(createdAt)]) }
}

extension ModelRecord {
    var json: JSONValue { .object(["id": .string(id), "name": .string(name), "created_at": .integer(createdAt)]) }
}

extension VersionRecord {
    var json: JSONValue {
        .object(["file_id": .string(fileID), "model_id": .string(modelID), "created_at": .integer(createdAt)])
    }
}

extension LicenseRecord {
    var fields: JSONObject {
        [
            ("id", .string(id)), ("customer_id", .string(customerID)), ("model_id", .string(modelID)),
            ("max_machines", .integer(maxMachines)), ("max_loads", maxLoads.map { .integer($0) } ?? .null),
            ("loads", .integer(loads)), ("expires_at", expiresAt.map { .integer($0) } ?? .null),
            ("lease_seconds", .integer(leaseSeconds)), ("created_at", .integer(createdAt)),
            ("revoked_at", revokedAt.map { .integer($0) } ?? .null), ("policy", .string(policy.kind.rawValue)),
            ("max_loads_per_day", policy.maxLoadsPerDay.map { .integer($0) } ?? .null),
            ("max_loads_per_month", policy.maxLoadsPerMonth.map { .integer($0) } ?? .null),
            ("grace_seconds", policy.graceSeconds.map { .integer($0) } ?? .null),
            ("cooldown_seconds", .integer(policy.cooldownSeconds)),
        ]
    }

    var json: JSONValue { .object(fields) }
}

extension MachineRecord {
    var json: JSONValue {
        .object([
            "id": .string(id), "license_id": .string(licenseID), "machine_key": .string(Base64.encode(machineKey)),
            "machine_kem": .string(machineKEM.rawValue), "signing_algorithm": .string(signingAlgorithm.rawValue),
            "label": .string(label), "activated_at": .integer(activatedAt),
            "revoked_at": revokedAt.map { .integer($0) } ?? .null,
            "deactivated_at": deactivatedAt.map { .integer($0) } ?? .null,
            "seat_expires_at": seatExpiresAt.map { .integer($0) } ?? .null,
            "attested_at": attestedAt.map { .integer($0) } ?? .null,
        ])
    }
}

extension AuditRecord {
    var json: JSONValue {
        .object([
            "seq": .integer(sequence), "at": .integer(at), "actor": .string(actor), "action": .string(action),
            "subject": .string(subject), "detail": .string(detail), "hash": .string(hash),
        ])
    }
}
