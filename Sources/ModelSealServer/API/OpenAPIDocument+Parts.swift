import ModelSealCore
import ModelSealServerProtocol

/// Building blocks of the OpenAPI document: operations, responses, schemas.
extension OpenAPIDocument {
    static func ref(_ name: String) -> JSONValue { .object([("$ref", .string("#/components/schemas/" + name))]) }

    static func list(_ item: String) -> JSONValue {
        object(["items": .object([("type", .string("array")), ("items", ref(item))])])
    }

    static func wrapped(_ name: String, _ item: String) -> JSONValue { object([name: ref(item)]) }

    static func jsonContent(_ schema: JSONValue) -> JSONValue {
        .object([("application/json", .object([("schema", schema)]))])
    }

    static func response(_ text: String, _ schema: JSONValue) -> JSONValue {
        .object([("description", .string(text)), ("content", jsonContent(schema))])
    }

    static let errorStatuses = ["400", "401", "403", "404", "409", "413", "429"]

    static func operation(
        _ id: String, _ summary: String, ok: JSONValue, okStatus: String = "200", extra: [(String, JSONValue)] = []
    ) -> JSONValue {
        var responses: [(String, JSONValue)] = [(okStatus, response("Success.", ok))]
        responses += errorStatuses.map { ($0, response("Refused: see error and message.", ref("Error"))) }
        let members: [(String, JSONValue)] = [
            ("operationId", .string(id)), ("summary", .string(summary)), ("responses", .object(JSONObject(responses))),
        ]
        return .object(JSONObject(members + extra))
    }

    static func textOperation(_ id: String, _ summary: String) -> JSONValue {
        .object([
            ("operationId", .string(id)), ("summary", .string(summary)),
            (
                "responses",
                .object([
                    (
                        "200",
                        .object([
                            ("description", .string("Metrics.")),
                            (
                                "content",
                                .object([("text/plain", .object([("schema", .object([("type", .string("string"))]))]))])
                            ),
                        ])
                    )
                ])
            ),
        ])
    }

    static func admin(_ id: String, _ summary: String, body: String? = nil, ok: JSONValue, paged: Bool = false)
        -> JSONValue
    {
        var extra: [(String, JSONValue)] = [("security", .array([.object([("admin", .array([]))])]))]
        if let body { extra.append(("requestBody", requestBody(body))) }
        if paged {
            extra.append(
                (
                    "parameters",
                    .array([
                        queryParameter("after", .object([("type", .string("string"))])),
                        queryParameter(
                            "limit",
                            .object([
                                ("type", .string("integer")), ("minimum", .integer(1)), ("maximum", .integer(1000)),
                            ])),
                    ])
                ))
        }
        return operation(
            id, summary, ok: ok, okStatus: body == nil && !id.hasPrefix("revoke") ? "200" : "201", extra: extra)
    }

    static func signed(_ id: String, _ summary: String, body: String, ok: JSONValue) -> JSONValue {
        let headers = [RequestSignature.nonceHeader, RequestSignature.timeHeader, RequestSignature.signatureHeader]
        var parameters = headers.map { headerParameter($0) }
        if id != "activate" { parameters.append(headerParameter(RequestSignature.machineHeader)) }
        return operation(
            id, summary, ok: ok, extra: [("requestBody", requestBody(body)), ("parameters", .array(parameters))])
    }

    static func requestBody(_ schema: String) -> JSONValue {
        .object([("required", .bool(true)), ("content", jsonContent(ref(schema)))])
    }

    static func pathParameter(_ name: String) -> JSONValue {
        .object([
            ("name", .string(name)), ("in", .string("path")), ("required", .bool(true)),
            ("schema", .object([("type", .string("string"))])),
        ])
    }

    static func queryParameter(_ name: String, _ schema: JSONValue) -> JSONValue {
        .object([("name", .string(name)), ("in", .string("query")), ("required", .bool(false)), ("schema", schema)])
    }

    static func headerParameter(_ name: String) -> JSONValue {
        .object([
            ("name", .string(name)), ("in", .string("header")), ("required", .bool(true)),
            ("schema", .object([("type", .string("string"))])),
        ])
    }

    /// An object schema whose members are all required; `nullable` members may be null.
    static func object(_ members: JSONObject, optional: [String] = []) -> JSONValue {
        .object([
            ("type", .string("object")), ("properties", .object(members)),
            ("required", .array(members.names.filter { !optional.contains($0) }.map { .string($0) })),
        ])
    }

    /// `base` with more members after its own.
    static func adding(_ base: JSONObject, _ extra: [(String, JSONValue)]) -> JSONObject {
        JSONObject(base.members + extra)
    }

    static let string: JSONValue = .object([("type", .string("string"))])
    /// A name: 1 to 256 characters.
    static let name: JSONValue = .object([
        ("type", .string("string")), ("minLength", .integer(1)), ("maxLength", .integer(256)),
    ])

    static func pattern(_ regex: String) -> JSONValue {
        .object([("type", .string("string")), ("pattern", .string(regex))])
    }

    static func bounded(_ low: Int64, _ high: Int64, nullable: Bool = false) -> JSONValue {
        let type: JSONValue = nullable ? .array([.string("integer"), .string("null")]) : .string("integer")
        return .object([("type", type), ("minimum", .integer(low)), ("maximum", .integer(high))])
    }

    /// Base64 of a 32-byte key.
    static let key32 = pattern("^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$")
    /// A 32-byte key (X25519, Ed25519) or a 65-byte uncompressed P-256 point, in base64.
    static let key32or65 = pattern("^([A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=|[A-Za-z0-9+/]{86}[AQgw]==)$")
    static let integer: JSONValue = .object([("type", .string("integer"))])
    static let nullableInteger: JSONValue = .object([("type", .array([.string("integer"), .string("null")]))])
}
