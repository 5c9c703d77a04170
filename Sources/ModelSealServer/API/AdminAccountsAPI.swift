import Hummingbird
import ModelSealCore

/// Named admins (with an optional console password) and the mark registry under `/v1/admin`
/// (docs/SERVER.md §Admin API, docs/MARKING.md §Registry on the key server).
extension KeyServer {
    func addAccountAndMarkRoutes(_ admin: RouterGroup<BasicRequestContext>) {
        admin.post("/admins") { request, _ in
            await self.asAdmin(request) { name, body in
                let newName = try body.name("name")
                let password = try Self.password(body, required: false)
                let token = Identifier.newToken()
                try await self.store.addAdmin(
                    name: newName, tokenHash: Identifier.tokenHash(token), actor: "admin:" + name, now: self.clock())
                if let password {
                    try await self.store.setAdminPassword(
                        name: newName, passwordHash: try await Self.hashOffLoop(password), actor: "admin:" + name,
                        now: self.clock())
                }
                return .object([
                    "name": .string(newName), "token": .string(token), "password": .bool(password != nil),
                ])
            }
        }
        admin.post("/admins/:name/password") { request, context in
            await self.asAdmin(request) { name, body in
                let target = context.parameters.get("name") ?? ""
                let password = try Self.password(body, required: true) ?? ""
                try await self.store.setAdminPassword(
                    name: target, passwordHash: try await Self.hashOffLoop(password), actor: "admin:" + name,
                    now: self.clock())
                return .object(["name": .string(target), "password": .bool(true)])
            }
        }
        admin.post("/marks") { request, _ in
            await self.asAdmin(request) { name, body in
                .object([
                    "mark": try await self.store.addMark(
                        try Self.newMark(body), actor: "admin:" + name, now: self.clock()
                    ).json
                ])
            }
        }
        admin.get("/marks") { request, _ in
            await self.asAdmin(request) { _, _ in
                let (afterText, limit) = try Self.page(request)
                guard let after = Int64(afterText ?? "0"), after >= 0 else {
                    throw APIError.badRequest("after is a mark's seq (an integer ≥ 0)")
                }
                let modelID = request.uri.queryParameters.get("model_id").map { String($0) }
                let items = try await self.store.marks(modelID: modelID, after: after, limit: limit)
                return .object(["items": .array(items.map(\.json))])
            }
        }
    }

    /// The `password` member: absent (when not required), else at least 12 characters.
    static func password(_ body: JSONValue, required: Bool) throws -> String? {
        guard let member = body["password"] else {
            if required { throw APIError.badRequest("missing string field \"password\"") }
            return nil
        }
        guard let password = member.stringValue else { throw APIError.badRequest("\"password\" is a string") }
        if let problem = AdminPassword.problem(password) { throw APIError.badRequest(problem) }
        return password
    }

    /// scrypt on its own thread, so a derivation never holds a thread of the server's executors.
    static func hashOffLoop(_ password: String) async throws -> String {
        try await OffLoop.run { try AdminPassword.hash(password) }
    }

    /// A member that is absent or a string; anything else is a 400 naming it.
    static func optionalString(_ body: JSONValue, _ name: String) throws -> String? {
        guard let member = body[name] else { return nil }
        guard let value = member.stringValue else { throw APIError.badRequest("\"\(name)\" is a string") }
        return value
    }

    static func newMark(_ body: JSONValue) throws -> NewMark {
        let parameters = body["parameters"] ?? .object([:])
        guard parameters.objectValue != nil else { throw APIError.badRequest("\"parameters\" is a JSON object") }
        guard JSONWriter.serialize(parameters).utf8.count <= 16_384 else {
            throw APIError.badRequest("\"parameters\" is at most 16 KiB")
        }
        let version = try optionalString(body, "version") ?? ""
        let tiers = try optionalString(body, "tiers") ?? "B"
        guard version.count <= 256, tiers.count <= 64 else {
            throw APIError.badRequest("\"version\" is at most 256 characters and \"tiers\" at most 64")
        }
        return NewMark(
            customer: try body.name("customer"), modelID: try body.name("model_id"), version: version, tiers: tiers,
            parameters: parameters)
    }
}

extension MarkRecord {
    var json: JSONValue {
        .object([
            ("seq", .integer(seq)), ("id", .string(id)), ("customer", .string(mark.customer)),
            ("model_id", .string(mark.modelID)), ("version", .string(mark.version)), ("tiers", .string(mark.tiers)),
            ("parameters", mark.parameters), ("actor", .string(actor)), ("created_at", .integer(createdAt)),
        ])
    }
}
