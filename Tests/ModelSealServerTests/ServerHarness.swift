import ContainerEngine
import Crypto
import FoundationEssentials
import HTTPTypes
import Hummingbird
import ModelSealCore
import ModelSealServerProtocol

@testable import ModelSealServer

/// A server on a fresh SQLite file in a temp folder, or a fresh PostgreSQL database on the test process's
/// PostgreSQL server, driven in-process through its router.
struct ServerHarness {
    static let adminToken = "test-admin-token-0123456789"
    let server: KeyServer
    let folder: String
    let kind: StoreKind
    /// What `--db` names: `sqlite:PATH` or the PostgreSQL URL.
    let url: String
    /// The PostgreSQL database's name (empty on SQLite).
    var database = ""

    static func make(
        _ kind: StoreKind = .sqlite, limits: RateLimits = .off, clock: @escaping @Sendable () -> Int64 = { now }
    ) async throws -> ServerHarness {
        let folder = FileManager.default.temporaryDirectory.path + "/ms-server-" + Identifier.new("t")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        switch kind {
        case .sqlite:
            let server = try await KeyServer.start(
                database: "sqlite:\(folder)/keys.db", masterKeyFile: nil, adminToken: adminToken, limits: limits,
                clock: clock)
            return ServerHarness(server: server, folder: folder, kind: kind, url: "sqlite:\(folder)/keys.db")
        case .postgres:
            let url = try await TestPostgres.shared.newDatabase()
            let keyFile = folder + "/master-key"
            let key = Base64.encode((0..<32).map { _ in UInt8.random(in: .min ... .max) })
            FileManager.default.createFile(atPath: keyFile, contents: Data(key.utf8))
            let server = try await KeyServer.start(
                database: url, masterKeyFile: keyFile, adminToken: adminToken, limits: limits, clock: clock)
            let name = String(url.split(separator: "/").last ?? "")
            return ServerHarness(server: server, folder: folder, kind: kind, url: url, database: name)
        }
    }

    /// The master key file a restarted server on this database needs (`nil`: SQLite's default file).
    var masterKeyFile: String? { kind == .postgres ? folder + "/master-key" : nil }

    func close() async throws {
        try await server.store.close()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Runs `sql` on the database behind the server's back (tests that tamper with rows).
    func tamper(_ sql: String) async throws {
        switch kind {
        case .sqlite: _ = try await (server.store as? SQLiteStore)?.rows(sql)
        case .postgres: try await TestPostgres.shared.execute(sql, database: database)
        }
    }

    func test(_ body: (RouterClient) async throws -> Void) async throws {
        try await body(RouterClient(server.combinedRouter()))
    }
}

/// A customer machine: its X25519 machine key and Ed25519 request-signing key, in memory.
struct TestMachine: Sendable {
    let machineKey = Curve25519.KeyAgreement.PrivateKey()
    let signingKey = Curve25519.Signing.PrivateKey()
    var machineID = ""
}

extension RouterClient {
    func json(
        _ method: HTTPRequest.Method, _ path: String, _ body: JSONValue? = nil, admin: Bool = true,
        headers extra: [(String, String)] = []
    ) async throws -> (HTTPResponse.Status, JSONValue) {
        var headers = HTTPFields()
        if admin { headers[.authorization] = "Bearer " + ServerHarness.adminToken }
        for (name, value) in extra {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        let bytes = body.map { Array(JSONWriter.serialize($0).utf8) } ?? []
        let response = try await execute(uri: path, method: method, headers: headers, body: bytes)
        return (response.status, (try? JSONParser.parse(response.body)) ?? .null)
    }

    /// A model with one version whose file key is `fileKey`, and a license for it.
    func setUpLicense(
        fileID: String, fileKey: [UInt8], maxMachines: Int, maxLoads: Int? = nil
    ) async throws -> (id: String, token: String) {
        let (_, info) = try await json(.get, "/v1/server", admin: false)
        let intake = try X25519Recipient(rawRepresentation: Base64.decode(info["intake_key"]?.stringValue ?? "") ?? [])
        let stanza = try intake.wrap(SymmetricKey(data: fileKey))
        _ = try await json(.post, "/v1/admin/models", .object(["name": .string("m")]))
        let (status, _) = try await json(
            .post, "/v1/admin/models/m/versions",
            .object(["file_id": .string(fileID), "wrapped_key": .string(Base64.encode(stanza.body))]))
        precondition(status == .created, "version add failed: \(status)")
        var terms: JSONObject = [
            ("customer", .string("acme")), ("model", .string("m")), ("max_machines", .integer(maxMachines)),
        ]
        if let maxLoads { terms.append(("max_loads", .integer(maxLoads))) }
        let (_, license) = try await json(.post, "/v1/admin/licenses", .object(terms))
        return (license["id"]?.stringValue ?? "", license["token"]?.stringValue ?? "")
    }

    func activate(_ machine: TestMachine, token: String, now: Int64) async throws -> (HTTPResponse.Status, JSONValue) {
        let body: JSONValue = .object([
            "token": .string(token),
            "machine_key": .string(Base64.encode(machine.machineKey.publicKey.rawRepresentation)),
            "signing_key": .string(Base64.encode(machine.signingKey.publicKey.rawRepresentation)),
            "label": .string("test"),
        ])
        let bytes = Array(JSONWriter.serialize(body).utf8)
        let signature = try RequestSignature.sign(
            method: "POST", path: "/v1/activate", body: bytes, key: machine.signingKey, time: now)
        return try await json(.post, "/v1/activate", body, admin: false, headers: signature.headers)
    }

    /// A new machine activated with `token`.
    func activated(_ token: String) async throws -> TestMachine {
        var machine = TestMachine()
        let (_, activation) = try await activate(machine, token: token, now: now)
        machine.machineID = activation["machine_id"]?.stringValue ?? ""
        return machine
    }

    func release(
        _ machine: TestMachine, fileID: String, now: Int64, nonce: String = RequestSignature.newNonce()
    ) async throws -> (HTTPResponse.Status, JSONValue) {
        let body: JSONValue = .object(["file_id": .string(fileID)])
        let bytes = Array(JSONWriter.serialize(body).utf8)
        let signature = try RequestSignature.sign(
            method: "POST", path: "/v1/release", body: bytes, key: machine.signingKey, time: now, nonce: nonce)
        return try await json(
            .post, "/v1/release", body, admin: false,
            headers: signature.headers + [(RequestSignature.machineHeader, machine.machineID)])
    }
}

/// Opens a release's wrapped key with the machine's private key (what MachineKeyAccess does on a real machine).
func openRelease(_ release: KeyRelease, machine: TestMachine) throws -> [UInt8] {
    var receiver = try HPKE.Recipient(
        privateKey: machine.machineKey,
        ciphersuite: HPKE.Ciphersuite(kem: .Curve25519_HKDF_SHA256, kdf: .HKDF_SHA256, aead: .AES_GCM_256),
        info: Data(KeyRelease.info), encapsulatedKey: Data(release.wrappedKey.prefix(32)))
    return Array(try receiver.open(Data(release.wrappedKey.dropFirst(32)), authenticating: Data(release.lease.binding)))
}

let now = Int64(Date().timeIntervalSince1970)
