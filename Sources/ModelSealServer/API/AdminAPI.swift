import Crypto
import Hummingbird
import ModelSealCore

/// The admin API under `/v1/admin` (docs/SERVER.md §Admin API): bearer-token admins; every change is
/// audited with the admin's name.
extension KeyServer {
    func addAdminRoutes(_ router: Router<BasicRequestContext>) {
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: self.metrics.text)))
        }
        let admin = router.group("/v1/admin")
        admin.post("/customers") { request, _ in
            await self.asAdmin(request) { name, body in try await self.addCustomer(body, actor: name) }
        }
        admin.get("/customers") { request, _ in
            await self.asAdmin(request) { _, _ in
                let (after, limit) = try Self.page(request)
                return .object(["items": .array(try await self.store.customers(after: after, limit: limit).map(\.json))]
                )
            }
        }
        admin.post("/models") { request, _ in
            await self.asAdmin(request) { name, body in
                .object([
                    "model": try await self.store.addModel(
                        name: try body.name("name"), actor: "admin:" + name, now: self.clock()
                    ).json
                ])
            }
        }
        admin.get("/models") { request, _ in
            await self.asAdmin(request) { _, _ in
                let (after, limit) = try Self.page(request)
                return .object(["items": .array(try await self.store.models(after: after, limit: limit).map(\.json))])
            }
        }
        admin.post("/models/:model/versions") { request, context in
            await self.asAdmin(request) { name, body in
                try await self.addVersion(context.parameters.get("model") ?? "", body, actor: name)
            }
        }
        admin.get("/models/:model/versions") { request, context in
            await self.asAdmin(request) { _, _ in
                guard let model = try await self.model(context.parameters.get("model") ?? "") else {
                    throw APIError.notFound("no model of that name")
                }
                return .object(["items": .array(try await self.store.versions(modelID: model.id).map(\.json))])
            }
        }
        addLicenseRoutes(admin)
        addAccountAndMarkRoutes(admin)
    }

    func addLicenseRoutes(_ admin: RouterGroup<BasicRequestContext>) {
        admin.post("/licenses") { request, _ in
            await self.asAdmin(request) { name, body in try await self.addLicense(body, actor: name) }
        }
        admin.get("/licenses") { request, _ in
            await self.asAdmin(request) { _, _ in
                let (after, limit) = try Self.page(request)
                return .object(["items": .array(try await self.store.licenses(after: after, limit: limit).map(\.json))])
            }
        }
        admin.get("/licenses/:id") { request, context in
            await self.asAdmin(request) { _, _ in
                let id = context.parameters.get("id") ?? ""
                guard let license = try await self.store.license(id: id) else {
                    throw APIError.notFound("no license \(id)")
                }
                var object = license.fields
                object.append(("machines", .array(try await self.store.machines(licenseID: id).map(\.json))))
                return .object(object)
            }
        }
        admin.post("/licenses/:id/revoke") { request, context in
            await self.asAdmin(request) { name, _ in
                let id = context.parameters.get("id") ?? ""
                try await self.store.revokeLicense(id: id, actor: "admin:" + name, now: self.clock())
                return .object(["id": .string(id), "revoked": .bool(true)])
            }
        }
        admin.post("/machines/:id/revoke") { request, context in
            await self.asAdmin(request) { name, _ in
                let id = context.parameters.get("id") ?? ""
                try await self.store.revokeMachine(id: id, actor: "admin:" + name, now: self.clock())
                return .object(["id": .string(id), "revoked": .bool(true)])
            }
        }
        admin.get("/audit") { request, _ in
            await self.asAdmin(request) { _, _ in
                let after = Int64(request.uri.queryParameters.get("after") ?? "0") ?? 0
                let (_, limit) = try Self.page(request)
                return .object(["items": .array(try await self.store.audit(after: after, limit: limit).map(\.json))])
            }
        }
        admin.post("/token/rotate") { request, _ in
            await self.asAdmin(request) { name, body in
                let target = body["name"] == nil ? name : try body.name("name")
                let token = Identifier.newToken()
                try await self.store.rotateAdminToken(
                    name: target, tokenHash: Identifier.tokenHash(token), actor: "admin:" + name, now: self.clock())
                return .object(["name": .string(target), "token": .string(token)])
            }
        }
    }

    /// Authenticates the bearer token, parses a JSON body for POST, and answers with `handler`'s JSON.
    func asAdmin(_ request: Request, _ handler: (String, JSONValue) async throws -> JSONValue) async -> Response {
        await APIResponse.handle {
            guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
                throw APIError.unauthorized("the admin API needs Authorization: Bearer TOKEN")
            }
            guard let name = try await store.admin(tokenHash: Identifier.tokenHash(String(header.dropFirst(7)))) else {
                throw APIError.unauthorized("the admin token is not valid")
            }
            let body =
                request.method == .post ? try await APIResponse.body(request, allowEmpty: true).value : .object([:])
            let status: HTTPResponse.Status = request.method == .post ? .created : .ok
            return APIResponse.json(try await handler(name, body), status: status)
        }
    }

    /// The policy members of a license body (docs/SERVER.md §Policies).
    static func policy(_ body: JSONValue, leaseSeconds: Int64) throws -> LicensePolicy {
        let kindText = body["policy"].map { $0.stringValue ?? "" } ?? LicensePolicy.Kind.nodeLocked.rawValue
        guard let kind = LicensePolicy.Kind(rawValue: kindText) else {
            throw APIError.badRequest("policy is \"node-locked\" or \"floating\"")
        }
        let policy = LicensePolicy(
            kind: kind, maxLoadsPerDay: try body.optionalInteger("max_loads_per_day", in: 0...(1 << 53)),
            maxLoadsPerMonth: try body.optionalInteger("max_loads_per_month", in: 0...(1 << 53)),
            graceSeconds: try body.optionalInteger("grace_seconds", in: 0...(366 * 86_400)),
            cooldownSeconds: try body.optionalInteger("cooldown_seconds", in: 0...(366 * 86_400)) ?? 0)
        if let problem = policy.problem(leaseSeconds: leaseSeconds) { throw APIError.badRequest(problem) }
        return policy
    }

    /// A model by name, else by id.
    func model(_ nameOrID: String) async throws -> ModelRecord? {
        if let model = try await store.model(named: nameOrID) { return model }
        return try await store.model(id: nameOrID)
    }

    static func page(_ request: Request) throws -> (String?, Int) {
        let limit = Int(request.uri.queryParameters.get("limit") ?? "100") ?? -1
        guard (1...1000).contains(limit) else { throw APIError.badRequest("limit must be 1...1000") }
        return (request.uri.queryParameters.get("after").map { String($0) }, limit)
    }

    func addCustomer(_ body: JSONValue, actor: String) async throws -> JSONValue {
        .object([
            "customer": try await store.addCustomer(
                name: try body.name("name"), actor: "admin:" + actor, now: clock()
            ).json
        ])
    }

    /// A version: its file id and its file key, HPKE-wrapped to the server's intake key by the vendor's
    /// tool; stored rewrapped under the master key.
    func addVersion(_ modelName: String, _ body: JSONValue, actor: String) async throws -> JSONValue {
        guard let model = try await model(modelName) else {
            throw APIError.notFound("no model \(modelName)")
        }
        let fileID = try body.required("file_id")
        guard fileID.utf8.count == 32, Hex.decode(fileID) != nil else {
            throw APIError.badRequest("file_id is the sealed file's 32 lowercase hex digits (`modelseal inspect`)")
        }
        guard let stanza = Base64.decode(try body.required("wrapped_key")), stanza.count == 80 else {
            throw APIError.badRequest("wrapped_key is 80 bytes in base64: the file key HPKE-wrapped to the intake key")
        }
        guard let key = keys.openIntake(stanza) else {
            throw APIError(
                status: .forbidden, code: "intake_mismatch",
                message: "wrapped_key does not open with this server's intake_key (GET /v1/server): wrap the file key "
                    + "to it (`modelseal admin model add` does)")
        }
        let wrapped = try keys.wrap(fileKey: key, fileID: fileID)
        let version = try await store.addVersion(
            modelID: model.id, fileID: fileID, wrappedKey: wrapped, actor: "admin:" + actor, now: clock())
        return .object(["version": version.json])
    }

    /// A license; the customer is made when it does not exist yet. The token is in this answer only.
    func addLicense(_ body: JSONValue, actor: String) async throws -> JSONValue {
        let customerName = try body.name("customer")
        let modelName = try body.name("model")
        guard let model = try await store.model(named: modelName) else {
            throw APIError.notFound("no model \(modelName)")
        }
        let customer: CustomerRecord
        if let existing = try await store.customer(named: customerName) {
            customer = existing
        } else {
            customer = try await store.addCustomer(name: customerName, actor: "admin:" + actor, now: clock())
        }
        var terms = LicenseTerms(
            maxMachines: try body.optionalInteger("max_machines", in: 1...1_000_000) ?? 1,
            maxLoads: try body.optionalInteger("max_loads", in: 0...(1 << 53)),
            expiresAt: try body.optionalInteger("expires_at", in: 0...(1 << 40)),
            leaseSeconds: try body.optionalInteger("lease_seconds", in: 0...(366 * 86_400)) ?? 86_400)
        terms.policy = try Self.policy(body, leaseSeconds: terms.leaseSeconds)
        let token = Identifier.newToken()
        let license = try await store.addLicense(
            customerID: customer.id, modelID: model.id, tokenHash: Identifier.tokenHash(token), terms: terms,
            actor: "admin:" + actor, now: clock())
        var object = license.fields
        object.append(("token", .string(token)))
        return .object(object)
    }
}
