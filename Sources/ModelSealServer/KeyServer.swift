import Crypto
import FoundationEssentials
import Hummingbird
import Logging
import ModelSealCore

/// The vendor's key and license server (docs/SERVER.md): one store, the server's keys, and the two
/// routers — the client API (`/v1/activate`, `/v1/release`) and the admin API (`/v1/admin/…`),
/// served on separate listeners unless both are on one loopback address.
public final class KeyServer: Sendable {
    public let store: any ServerStore
    public let keys: ServerKeys
    /// Seconds since the Unix epoch; tests move it.
    let clock: @Sendable () -> Int64
    public let limits: RateLimits
    public let metrics = ServerMetrics()
    /// The console's trace page (`--originals`, `--mark-secret`); `nil`: the page says it is not configured.
    public let trace: TraceSettings?
    /// EK attestation of TPM machine keys (`--ek-ca`, `--require-tpm`); `nil`: none, TPM evidence is ignored.
    public let attestation: EKAttestationPolicy?

    init(
        store: any ServerStore, keys: ServerKeys, limits: RateLimits, clock: @escaping @Sendable () -> Int64,
        trace: TraceSettings? = nil, attestation: EKAttestationPolicy? = nil
    ) {
        self.store = store
        self.keys = keys
        self.limits = limits
        self.clock = clock
        self.trace = trace
        self.attestation = attestation
    }

    /// Opens the store named by `database` (`sqlite:PATH` or `postgres://…`), applies its migrations, loads the keys
    /// (the master key from `masterKeyFile`: a file or a `pkcs11:` URI, see MasterKeySource) and records the first
    /// admin from `adminToken` when the database has none.
    public static func start(
        database: String, masterKeyFile: String?, pkcs11Module: String? = nil, adminToken: String?,
        limits: RateLimits = .standard,
        clock: @escaping @Sendable () -> Int64 = KeyServer.systemClock, trace: TraceSettings? = nil,
        attestation: EKAttestationPolicy? = nil
    ) async throws -> KeyServer {
        let (store, defaultKeyFile) = try await openStore(database)
        do {
            try await store.migrate()
            let keys = try await ServerKeys.load(
                store: store, masterKeyFile: masterKeyFile, pkcs11Module: pkcs11Module, defaultFile: defaultKeyFile)
            let server = KeyServer(
                store: store, keys: keys, limits: limits, clock: clock, trace: trace, attestation: attestation)
            if let adminToken, !adminToken.isEmpty {
                try await server.bootstrapAdmin(token: adminToken)
            }
            return server
        } catch {
            // A wrong master key or a newer schema: the store is closed before the error is reported.
            try? await store.close()
            throw error
        }
    }

    static func openStore(_ database: String) async throws -> (any ServerStore, String?) {
        if database.hasPrefix("sqlite:") {
            let path = String(database.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw StoreError.database("--db sqlite:PATH needs a path") }
            return (try await SQLiteStore.open(path: path), path + ".master-key")
        }
        if PostgresLocation.isPostgres(database) {
            // No default master key file: every server process on the database needs the same key.
            return (try await PostgresStore.open(try PostgresLocation(url: database)), nil)
        }
        throw StoreError.database(
            "--db must be sqlite:PATH or postgres://USER@HOST:PORT/DB (or postgres://USER@/DB?host=/socket/dir)")
    }

    /// The first admin, named `root`, from `$MODELSEAL_ADMIN_TOKEN`; stored as a hash.
    func bootstrapAdmin(token: String) async throws {
        let hash = Identifier.tokenHash(token)
        if try await store.admin(tokenHash: hash) != nil { return }
        guard try await store.adminCount() == 0 else { return }
        try await store.addAdmin(name: "root", tokenHash: hash, actor: "server", now: clock())
    }

    public static let systemClock: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }

    /// The OpenAPI 3.1 document served at `/openapi.json` (docs/openapi.json).
    public static var openAPIText: String { OpenAPIDocument.text }

    /// Routes for the client listener.
    public func clientRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: UnroutedMiddleware(allowed: OpenAPIDocument.clientPathNames))
        addOperations(router)
        addClientRoutes(router)
        return router
    }

    /// Routes for the admin listener (with /metrics).
    public func adminRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: UnroutedMiddleware(allowed: OpenAPIDocument.adminPathNames))
        addOperations(router)
        addAdminRoutes(router)
        addConsoleRoutes(router)
        return router
    }

    /// Both APIs on one router, for a single loopback listener.
    public func combinedRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(
            middleware: UnroutedMiddleware(allowed: OpenAPIDocument.clientPathNames + OpenAPIDocument.adminPathNames))
        addOperations(router)
        addClientRoutes(router)
        addAdminRoutes(router)
        addConsoleRoutes(router)
        return router
    }

    /// Health, the OpenAPI document and the server's public keys: on every listener (the vendor's
    /// `admin model add` reads the intake key from the admin listener).
    func addOperations(_ router: Router<BasicRequestContext>) {
        router.get("/v1/server") { _, _ in
            APIResponse.json(
                .object([
                    "server_key": .string(self.keys.publicKeyText),
                    "intake_key": .string(self.keys.intakeKeyText),
                    "protocol": .integer(1),
                    "key_rotations": .array(self.keys.rotations.map(\.json)),
                ]))
        }
        router.get("/healthz") { _, _ in
            await APIResponse.handle {
                _ = try await self.store.adminCount()
                return APIResponse.json(.object(["status": .string("ok")]))
            }
        }
        router.get("/openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.text)))
        }
    }
}
