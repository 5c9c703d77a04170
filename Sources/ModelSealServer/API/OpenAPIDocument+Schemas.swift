import ModelSealCore
import ModelSealServerProtocol

/// The schemas of the OpenAPI document.
extension OpenAPIDocument {
    static var components: JSONValue {
        .object([
            (
                "securitySchemes",
                .object([("admin", .object([("type", .string("http")), ("scheme", .string("bearer"))]))])
            ),
            ("schemas", .object(JSONObject(schemas))),
        ])
    }

    static let named: JSONValue = object(["id": string, "name": string, "created_at": integer])

    static var schemas: [(String, JSONValue)] {
        [
            ("Error", object(["error": string, "message": string])),
            ("Health", object(["status": string])),
            ("Customer", named), ("Model", named),
            ("Version", object(["file_id": string, "model_id": string, "created_at": integer])),
            ("License", object(licenseFields)),
            ("NewLicense", object(adding(licenseFields, [("token", string)]))),
            (
                "LicenseDetail",
                object(
                    adding(
                        licenseFields, [("machines", .object([("type", .string("array")), ("items", ref("Machine"))]))])
                )
            ),
            (
                "Machine",
                object([
                    "id": string, "license_id": string, "machine_key": string, "machine_kem": machineKEM,
                    "signing_algorithm": signingAlgorithm, "label": string,
                    "activated_at": integer, "revoked_at": nullableInteger, "deactivated_at": nullableInteger,
                    "seat_expires_at": nullableInteger, "attested_at": nullableInteger,
                ])
            ),
            ("Revoked", object(["id": string, "revoked": .object([("type", .string("boolean"))])])),
            (
                "AuditEntry",
                object([
                    "seq": integer, "at": integer, "actor": string, "action": string, "subject": string,
                    "detail": string, "hash": string,
                ])
            ),
            ("NewAdmin", object(["name": string, "token": string, "password": boolean])),
            ("AdminBody", object(["name": name, "password": password], optional: ["password"])),
            ("PasswordBody", object(["password": password])),
            (
                "Mark",
                object([
                    "seq": integer, "id": string, "customer": string, "model_id": string, "version": string,
                    "tiers": string, "parameters": .object([("type", .string("object"))]), "actor": string,
                    "created_at": integer,
                ])
            ),
            (
                "MarkBody",
                object(
                    [
                        "customer": name, "model_id": name, "version": string, "tiers": string,
                        "parameters": .object([("type", .string("object"))]),
                    ], optional: ["version", "tiers", "parameters"])
            ),
            ("NameBody", object(["name": name])),
            (
                "VersionBody",
                object(["file_id": pattern("^[0-9a-f]{32}$"), "wrapped_key": pattern("^[A-Za-z0-9+/]{106}[AQgw]=$")])
            ),
            (
                "LicenseBody",
                object(
                    [
                        "customer": name, "model": name, "max_machines": bounded(1, 1_000_000),
                        "max_loads": bounded(0, 1 << 53, nullable: true),
                        "expires_at": bounded(0, 1 << 40, nullable: true), "lease_seconds": bounded(0, 366 * 86_400),
                        "policy": policyKind, "max_loads_per_day": bounded(0, 1 << 53, nullable: true),
                        "max_loads_per_month": bounded(0, 1 << 53, nullable: true),
                        "grace_seconds": bounded(0, 366 * 86_400, nullable: true),
                        "cooldown_seconds": bounded(0, 366 * 86_400),
                    ],
                    optional: [
                        "max_machines", "max_loads", "expires_at", "lease_seconds", "policy", "max_loads_per_day",
                        "max_loads_per_month", "grace_seconds", "cooldown_seconds",
                    ])
            ),
            ("RotateBody", object(["name": name], optional: ["name"])),
            ("RotatedToken", object(["name": string, "token": string])),
            ("EmptyBody", object([:])),
            ("Heartbeat", object(["machine_id": string, "seat_expires_at": nullableInteger])),
            ("CheckedIn", object(["machine_id": string, "checked_in": boolean])),
            ("Deactivated", object(["machine_id": string, "deactivated": boolean])),
            (
                "ServerInfo",
                object([
                    "server_key": string, "intake_key": string, "protocol": integer,
                    "key_rotations": .object([("type", .string("array")), ("items", ref("KeyRotation"))]),
                ])
            ),
            (
                "KeyRotation",
                object([
                    "statement": object([
                        "type": string, "version": integer, "previous_key": string, "next_key": string, "at": integer,
                    ]),
                    "signature": string,
                ])
            ),
            (
                "ActivateBody",
                object(
                    [
                        "token": name, "machine_key": key32or65, "machine_kem": machineKEM, "signing_key": key32or65,
                        "signing_algorithm": signingAlgorithm,
                        "label": .object([("type", .string("string")), ("maxLength", .integer(256))]),
                        "tpm_attestation": object(["ek_certificate": string, "machine_key_public": string]),
                    ], optional: ["label", "machine_kem", "signing_algorithm", "tpm_attestation"])
            ),
            (
                "Activation",
                object(
                    [
                        "machine_id": string, "license_id": string, "server_key": string,
                        "ek_credential": object(["id_object": string, "encrypted_secret": string]),
                    ], optional: ["ek_credential"])
            ),
            ("AttestBody", object(["secret": key32])),
            ("Attested", object(["machine_id": string, "attested_at": integer])),
            ("ReleaseBody", object(["file_id": pattern("^[0-9a-f]{32}$")])),
            (
                "Release",
                object([
                    "lease": object(
                        [
                            "type": string, "version": integer, "license_id": string, "machine_id": string,
                            "file_id": string, "nonce": string, "issued_at": integer, "expires_at": integer,
                            "offline_until": integer,
                        ], optional: ["offline_until"]), "signature": string, "wrapped_key": string,
                ])
            ),
        ]
    }

    static let machineKEM: JSONValue = .object([
        ("type", .string("string")), ("enum", .array(ReleaseKEM.allCases.map { .string($0.rawValue) })),
    ])
    static let signingAlgorithm: JSONValue = .object([
        ("type", .string("string")), ("enum", .array(RequestSigningAlgorithm.allCases.map { .string($0.rawValue) })),
    ])
    static let boolean: JSONValue = .object([("type", .string("boolean"))])
    static let password: JSONValue = .object([
        ("type", .string("string")), ("minLength", .integer(Int64(AdminPassword.minimumLength))),
    ])

    static let licenseFields: JSONObject = [
        ("id", string), ("customer_id", string), ("model_id", string), ("max_machines", integer),
        ("max_loads", nullableInteger), ("loads", integer), ("expires_at", nullableInteger),
        ("lease_seconds", integer), ("created_at", integer), ("revoked_at", nullableInteger),
        ("policy", policyKind), ("max_loads_per_day", nullableInteger), ("max_loads_per_month", nullableInteger),
        ("grace_seconds", nullableInteger), ("cooldown_seconds", integer),
    ]

    static let policyKind: JSONValue = .object([
        ("type", .string("string")), ("enum", .array(LicensePolicy.Kind.allCases.map { .string($0.rawValue) })),
    ])
}
