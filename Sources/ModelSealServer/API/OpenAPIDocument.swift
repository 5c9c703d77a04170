import ModelSealCore

/// The OpenAPI 3.1 description of both APIs, served at `/openapi.json` and committed as
/// docs/openapi.json (a test keeps the two equal).
enum OpenAPIDocument {
    static let json: JSONValue = .object([
        ("openapi", .string("3.1.0")),
        (
            "info",
            .object([
                ("title", .string("ModelSeal key and license server")), ("version", .string("1")),
                ("description", .string("docs/SERVER.md")),
            ])
        ),
        ("paths", .object(JSONObject(operationsPaths + adminPaths + clientPaths))),
        ("components", components),
    ])

    static var text: String { JSONWriter.serialize(json, pretty: true) + "\n" }

    // MARK: paths

    static let operationsPaths: [(String, JSONValue)] = [
        ("/healthz", .object([("get", operation("health", "Liveness and database check.", ok: ref("Health")))])),
        (
            "/openapi.json",
            .object([("get", operation("openapi", "This document.", ok: .object([("type", .string("object"))])))])
        ),
        ("/metrics", .object([("get", textOperation("metrics", "Prometheus metrics (text exposition format)."))])),
        (
            "/v1/server",
            .object([
                (
                    "get",
                    operation(
                        "serverInfo",
                        "The server's public keys (on both listeners: `admin model add` wraps to the intake key).",
                        ok: ref("ServerInfo"))
                )
            ])
        ),
    ]

    static let adminPaths: [(String, JSONValue)] = [
        (
            "/v1/admin/customers",
            .object([
                ("get", admin("listCustomers", "Customers, by id (keyset paging).", ok: list("Customer"), paged: true)),
                (
                    "post",
                    admin("addCustomer", "Add a customer.", body: "NameBody", ok: wrapped("customer", "Customer"))
                ),
            ])
        ),
        (
            "/v1/admin/models",
            .object([
                ("get", admin("listModels", "Models, by id (keyset paging).", ok: list("Model"), paged: true)),
                ("post", admin("addModel", "Add a model.", body: "NameBody", ok: wrapped("model", "Model"))),
            ])
        ),
        (
            "/v1/admin/models/{model}/versions",
            .object([
                ("parameters", .array([pathParameter("model")])),
                ("get", admin("listVersions", "A model's versions.", ok: list("Version"))),
                (
                    "post",
                    admin(
                        "addVersion", "Add a version (its file key wrapped to the intake key).", body: "VersionBody",
                        ok: wrapped("version", "Version"))
                ),
            ])
        ),
        (
            "/v1/admin/licenses",
            .object([
                ("get", admin("listLicenses", "Licenses, by id (keyset paging).", ok: list("License"), paged: true)),
                (
                    "post",
                    admin(
                        "addLicense", "Add a license; the answer holds its token once.", body: "LicenseBody",
                        ok: ref("NewLicense"))
                ),
            ])
        ),
        (
            "/v1/admin/licenses/{id}",
            .object([
                ("parameters", .array([pathParameter("id")])),
                ("get", admin("showLicense", "A license with its machines.", ok: ref("LicenseDetail"))),
            ])
        ),
        (
            "/v1/admin/licenses/{id}/revoke",
            .object([
                ("parameters", .array([pathParameter("id")])),
                ("post", admin("revokeLicense", "Revoke a license.", ok: ref("Revoked"))),
            ])
        ),
        (
            "/v1/admin/machines/{id}/revoke",
            .object([
                ("parameters", .array([pathParameter("id")])),
                ("post", admin("revokeMachine", "Revoke a machine.", ok: ref("Revoked"))),
            ])
        ),
        (
            "/v1/admin/audit",
            .object([
                (
                    "get",
                    admin("listAudit", "Audit entries after a sequence number.", ok: list("AuditEntry"), paged: true)
                )
            ])
        ),
        (
            "/v1/admin/admins",
            .object([
                (
                    "post",
                    admin(
                        "addAdmin",
                        "Add a named admin (with a console password when given); the answer holds its token once.",
                        body: "AdminBody", ok: ref("NewAdmin"))
                )
            ])
        ),
        (
            "/v1/admin/token/rotate",
            .object([
                (
                    "post",
                    admin(
                        "rotateAdminToken",
                        "A new token for the calling admin (or the named one); the old token stops working.",
                        body: "RotateBody", ok: ref("RotatedToken"))
                )
            ])
        ),
        (
            "/v1/admin/admins/{name}/password",
            .object([
                ("parameters", .array([pathParameter("name")])),
                (
                    "post",
                    admin(
                        "setAdminPassword", "Set a named admin's console password (stored with scrypt).",
                        body: "PasswordBody", ok: object(["name": string, "password": boolean]))
                ),
            ])
        ),
        (
            "/v1/admin/marks",
            .object([
                ("get", listMarks),
                (
                    "post",
                    admin("addMark", "Record an issued leak mark.", body: "MarkBody", ok: wrapped("mark", "Mark"))
                ),
            ])
        ),
    ]

    static let clientPaths: [(String, JSONValue)] = [
        (
            "/v1/activate",
            .object([
                (
                    "post",
                    signed(
                        "activate", "Register a machine on a license (signed with the key it registers).",
                        body: "ActivateBody", ok: ref("Activation"))
                )
            ])
        ),
        (
            "/v1/release",
            .object([
                (
                    "post",
                    signed(
                        "release", "Release a version's file key to an activated machine.", body: "ReleaseBody",
                        ok: ref("Release"))
                )
            ])
        ),
        seatPath(
            "/v1/heartbeat", "heartbeat", "Take or renew this machine's floating seat (node-locked: a check).",
            ok: "Heartbeat"),
        seatPath("/v1/checkin", "checkIn", "Free this machine's floating seat now.", ok: "CheckedIn"),
        seatPath(
            "/v1/deactivate", "deactivate", "Deactivate this machine (its slot is held through the cooldown).",
            ok: "Deactivated"),
        (
            "/v1/attest",
            .object([
                (
                    "post",
                    signed(
                        "attest", "Show the secret of the activation's EK credential (TPM attestation).",
                        body: "AttestBody", ok: ref("Attested"))
                )
            ])
        ),
    ]

    static func seatPath(_ path: String, _ id: String, _ summary: String, ok: String) -> (String, JSONValue) {
        (path, .object([("post", signed(id, summary, body: "EmptyBody", ok: ref(ok)))]))
    }

    /// `GET /v1/admin/marks`: keyset paging on the integer `seq`, filtered by `model_id`.
    static var listMarks: JSONValue {
        guard
            case .object(var members) = admin(
                "listMarks", "Issued leak marks in issue order (keyset paging on seq; model_id filters).",
                ok: list("Mark"))
        else { return .null }
        members.append(
            (
                "parameters",
                .array([
                    queryParameter("model_id", string),
                    queryParameter(
                        "after",
                        .object([
                            ("type", .string("integer")), ("minimum", .integer(0)), ("maximum", .integer(Int64.max)),
                        ])),
                    queryParameter(
                        "limit",
                        .object([("type", .string("integer")), ("minimum", .integer(1)), ("maximum", .integer(1000))])),
                ])
            ))
        return .object(members)
    }
}
