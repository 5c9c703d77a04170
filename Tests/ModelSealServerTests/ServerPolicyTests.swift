import ContainerEngine
import Crypto
import FoundationEssentials
import HTTPTypes
import ModelSealCore
import ModelSealLicensing
import ModelSealServerProtocol
import Synchronization
import Testing

@testable import ModelSealServer

/// The license policies (docs/SERVER.md §Policies) and rotation (§Rotation), each enforced by the server
/// in the transaction that checks and counts; time moves with a clock the test sets.
@Suite struct ServerPolicyTests {
    static let fileID = ServerAPITests.fileID

    @Test(arguments: StoreKind.allCases) func floatingSeatsAreLeasedRenewedAndFreed(_ kind: StoreKind) async throws {
        let harness = try await PolicyHarness.make(kind, at: now)
        try await harness.test { client in
            let license = try await client.policyLicense([
                "policy": .string("floating"), "max_machines": .integer(2), "lease_seconds": .integer(600),
            ])
            let t = harness.clock.now
            // Floating: registering takes no seat, so a third machine activates.
            let a = try await client.activated(license, now: t)
            let b = try await client.activated(license, now: t)
            let c = try await client.activated(license, now: t)
            #expect(try await client.release(a, fileID: Self.fileID, now: t).0 == .ok)
            #expect(try await client.release(b, fileID: Self.fileID, now: t).0 == .ok)
            let (full, body) = try await client.release(c, fileID: Self.fileID, now: t)
            #expect(full == .forbidden)
            #expect(body["error"]?.stringValue == "seats_exhausted")
            #expect(body["message"]?.stringValue?.contains(LicenseTime.format(t + 600)) == true)
            // Check-in frees a seat at once.
            #expect(try await client.machineCall(a, "/v1/checkin", now: t).0 == .ok)
            #expect(try await client.release(c, fileID: Self.fileID, now: t).0 == .ok)
            #expect(try await client.release(a, fileID: Self.fileID, now: t).0 == .forbidden)
            // A heartbeat renews b's seat; c's runs out and frees itself.
            harness.clock.set(t + 300)
            let (beat, seat) = try await client.machineCall(b, "/v1/heartbeat", now: t + 300)
            #expect(beat == .ok && seat["seat_expires_at"]?.int64Value == t + 900)
            harness.clock.set(t + 601)
            #expect(try await client.release(a, fileID: Self.fileID, now: t + 601).0 == .ok)
            #expect(try await client.release(c, fileID: Self.fileID, now: t + 601).0 == .forbidden)
        }
        try await harness.close()
    }

    @Test(arguments: StoreKind.allCases) func dailyAndMonthlyQuotasRefuseWithTheirResetAndDoNotCountRefusals(
        _ kind: StoreKind
    ) async throws {
        let start = try #require(LicenseTime.parse("2026-12-30T23:00:00Z"))
        let harness = try await PolicyHarness.make(kind, at: start)
        try await harness.test { client in
            let license = try await client.policyLicense([
                "max_machines": .integer(1), "max_loads_per_day": .integer(2), "max_loads_per_month": .integer(3),
            ])
            let machine = try await client.activated(license, now: start)
            for _ in 0..<2 { #expect(try await client.release(machine, fileID: Self.fileID, now: start).0 == .ok) }
            let (daily, dailyBody) = try await client.release(machine, fileID: Self.fileID, now: start)
            #expect(daily == .forbidden && dailyBody["error"]?.stringValue == "over_quota")
            #expect(dailyBody["message"]?.stringValue?.contains("daily quota") == true)
            #expect(dailyBody["message"]?.stringValue?.contains("resets at 2026-12-31T00:00:00Z") == true)
            let nextDay = start + 3600
            harness.clock.set(nextDay)
            #expect(try await client.release(machine, fileID: Self.fileID, now: nextDay).0 == .ok)
            let (monthly, monthlyBody) = try await client.release(machine, fileID: Self.fileID, now: nextDay)
            #expect(monthly == .forbidden)
            #expect(monthlyBody["message"]?.stringValue?.contains("monthly quota") == true)
            #expect(monthlyBody["message"]?.stringValue?.contains("resets at 2027-01-01T00:00:00Z") == true)
            let (_, shown) = try await client.json(.get, "/v1/admin/licenses/\(license.id)")
            #expect(shown["loads"]?.intValue == 3)
            let newMonth = try #require(LicenseTime.parse("2027-01-01T00:00:05Z"))
            harness.clock.set(newMonth)
            #expect(try await client.release(machine, fileID: Self.fileID, now: newMonth).0 == .ok)
        }
        try await harness.close()
    }

    @Test(arguments: StoreKind.allCases) func parallelReleasesStopExactlyAtTheDailyQuota(_ kind: StoreKind) async throws
    {
        let harness = try await PolicyHarness.make(kind, at: now)
        try await harness.test { client in
            let license = try await client.policyLicense([
                "max_machines": .integer(1), "max_loads_per_day": .integer(50),
            ])
            let machine = try await client.activated(license, now: now)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<200 {
                    group.addTask { try await client.release(machine, fileID: Self.fileID, now: now).0 }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .ok }.count == 50)
            #expect(statuses.filter { $0 == .forbidden }.count == 150)
            let (_, shown) = try await client.json(.get, "/v1/admin/licenses/\(license.id)")
            #expect(shown["loads"]?.intValue == 50)
        }
        try await harness.close()
    }

    @Test(arguments: StoreKind.allCases) func theSignedLeaseStatesAnOfflineGraceApartFromItsTTL(_ kind: StoreKind)
        async throws
    {
        let harness = try await PolicyHarness.make(kind, at: now)
        try await harness.test { client in
            let license = try await client.policyLicense([
                "max_machines": .integer(1), "lease_seconds": .integer(600), "grace_seconds": .integer(7200),
            ])
            let machine = try await client.activated(license, now: now)
            let (status, body) = try await client.release(machine, fileID: Self.fileID, now: now)
            #expect(status == .ok)
            let release = try KeyRelease(json: body)
            try release.verify(
                serverKey: harness.server.keys.signing.publicKey, fileID: Self.fileID, machineID: machine.machineID)
            #expect(release.lease.expiresAt == now + 600)
            #expect(release.lease.offlineUntil == now + 7200 && release.lease.graceEnd == now + 7200)
            #expect(try openRelease(release, machine: machine) == ServerAPITests.fileKey)
        }
        try await harness.close()
    }

    @Test(arguments: StoreKind.allCases) func aDeactivatedSlotIsHeldThroughTheCooldownForTheSameKeyOnly(
        _ kind: StoreKind
    ) async throws {
        let harness = try await PolicyHarness.make(kind, at: now)
        try await harness.test { client in
            let license = try await client.policyLicense([
                "max_machines": .integer(1), "cooldown_seconds": .integer(3600),
            ])
            let t = harness.clock.now
            let first = try await client.activated(license, now: t)
            #expect(try await client.machineCall(first, "/v1/deactivate", now: t).0 == .ok)
            let (refused, refusal) = try await client.release(first, fileID: Self.fileID, now: t)
            #expect(refused == .forbidden && refusal["error"]?.stringValue == "machine_deactivated")
            // The loophole: deactivate, then activate a new machine at once. Refused until the cooldown ends.
            let (blocked, body) = try await client.activate(TestMachine(), token: license.token, now: t)
            #expect(blocked == .forbidden && body["error"]?.stringValue == "machines_exhausted")
            #expect(body["message"]?.stringValue?.contains(LicenseTime.format(t + 3600)) == true)
            // The same machine key comes back without taking another slot.
            let again = try await client.activated(license, machine: first, now: t + 10)
            #expect(again.machineID == first.machineID)
            #expect(try await client.release(first, fileID: Self.fileID, now: t).0 == .ok)
            #expect(try await client.machineCall(first, "/v1/deactivate", now: t + 20).0 == .ok)
            harness.clock.set(t + 3621)
            let second = try await client.activated(license, now: t + 3621)
            #expect(!second.machineID.isEmpty)
            let (late, _) = try await client.activate(first, token: license.token, now: t + 3621)
            #expect(late == .forbidden)
            let audit = try await harness.server.store.audit(after: 0, limit: 1000)
            #expect(audit.filter { $0.action == "machine.deactivate" }.count == 2)
        }
        try await harness.close()
    }

    @Test(arguments: StoreKind.allCases) func anAdminTokenRotatesAndTheOldOneStops(_ kind: StoreKind) async throws {
        let harness = try await PolicyHarness.make(kind, at: now)
        try await harness.test { client in
            let (status, answer) = try await client.json(.post, "/v1/admin/token/rotate", .object([:]))
            #expect(status == .created && answer["name"]?.stringValue == "root")
            let token = try #require(answer["token"]?.stringValue)
            let (old, _) = try await client.json(.get, "/v1/admin/licenses")
            #expect(old == .unauthorized)
            let (new, _) = try await client.json(
                .get, "/v1/admin/licenses", admin: false, headers: [("Authorization", "Bearer " + token)])
            #expect(new == .ok)
        }
        // Restarting with the old $MODELSEAL_ADMIN_TOKEN does not bring it back.
        try await harness.server.store.close()
        let restarted = try await KeyServer.start(
            database: harness.base.url, masterKeyFile: harness.base.masterKeyFile,
            adminToken: ServerHarness.adminToken, limits: .off, clock: { now })
        #expect(try await restarted.store.admin(tokenHash: Identifier.tokenHash(ServerHarness.adminToken)) == nil)
        try await restarted.store.close()
        try? FileManager.default.removeItem(atPath: harness.folder)
    }

    @Test(arguments: StoreKind.allCases) func theMasterKeyRotatesAndTheOldKeyOpensNothing(_ kind: StoreKind)
        async throws
    {
        try await rotateMaster(kind, signingRotations: 0)
    }

    /// The signing-key rotation statements live in the settings under the master key too: a master-key
    /// rotation after a signing-key rotation re-wraps them, and the restarted server still serves them.
    @Test(arguments: StoreKind.allCases) func theMasterKeyRotatesAfterASigningKeyRotation(_ kind: StoreKind)
        async throws
    {
        try await rotateMaster(kind, signingRotations: 1)
    }

    /// Rotates the signing key `signingRotations` times, then the master key; the old master key opens
    /// nothing and the new one serves a release signed by the current signing key.
    func rotateMaster(_ kind: StoreKind, signingRotations: Int) async throws {
        let harness = try await PolicyHarness.make(kind, at: now)
        var machine = TestMachine()
        try await harness.test { client in
            let license = try await client.policyLicense(["max_machines": .integer(1)])
            machine = try await client.activated(license, now: now)
        }
        var expectedKey = harness.server.keys.publicKeyText
        for _ in 0..<signingRotations {
            let keys = try await ServerKeys.load(
                store: harness.server.store, masterKeyFile: harness.base.masterKeyFile,
                defaultFile: kind == .sqlite ? harness.folder + "/keys.db.master-key" : nil)
            let rotation = try await KeyRotationStore.rotate(
                store: harness.server.store, keys: keys, actor: "test", now: now)
            expectedKey = Base64.encode(rotation.nextKey)
        }
        let newKey = harness.folder + "/new.master-key"
        // signing_key, intake_key, the rotation statements when there are any, and the one version's key.
        #expect(try await harness.server.rotateMasterKey(newKey: newKey) == 3 + min(signingRotations, 1))
        try await harness.server.store.close()
        await #expect(throws: StoreError.self) {
            _ = try await KeyServer.start(
                database: harness.base.url, masterKeyFile: harness.base.masterKeyFile, adminToken: nil,
                clock: { now })
        }
        let rotated = try await KeyServer.start(
            database: harness.base.url, masterKeyFile: newKey, adminToken: nil, limits: .off, clock: { now })
        #expect(rotated.keys.publicKeyText == expectedKey)
        #expect(rotated.keys.rotations.count == signingRotations)
        let client = RouterClient(rotated.combinedRouter())
        let (_, info) = try await client.json(.get, "/v1/server", admin: false)
        #expect(info["key_rotations"]?.arrayValue?.count == signingRotations)
        let (status, body) = try await client.release(machine, fileID: Self.fileID, now: now)
        #expect(status == .ok)
        let release = try KeyRelease(json: body)
        try release.verify(serverKey: rotated.keys.signing.publicKey, fileID: Self.fileID, machineID: machine.machineID)
        #expect(try openRelease(release, machine: machine) == ServerAPITests.fileKey)
        #expect(try await rotated.store.audit(after: 0, limit: 1000).contains { $0.action == "master_key.rotate" })
        try await rotated.store.close()
        try? FileManager.default.removeItem(atPath: harness.folder)
    }
}

/// A clock the test moves.
final class TestClock: Sendable {
    let value: Atomic<Int64>
    init(_ start: Int64) { value = Atomic(start) }
    var now: Int64 { value.load(ordering: .relaxed) }
    func set(_ time: Int64) { value.store(time, ordering: .relaxed) }
}

/// A server (on SQLite or PostgreSQL, as `ServerHarness`) whose clock the test sets.
struct PolicyHarness {
    let base: ServerHarness
    let clock: TestClock
    var server: KeyServer { base.server }
    var folder: String { base.folder }

    static func make(_ kind: StoreKind, at start: Int64) async throws -> PolicyHarness {
        let clock = TestClock(start)
        return PolicyHarness(base: try await ServerHarness.make(kind, clock: { clock.now }), clock: clock)
    }

    func close() async throws { try await base.close() }

    func test(_ body: (RouterClient) async throws -> Void) async throws { try await base.test(body) }
}

extension RouterClient {
    /// Model `m` with the test version, and a license with `terms` (JSON members) for customer `acme`.
    func policyLicense(_ terms: [String: JSONValue]) async throws -> (id: String, token: String) {
        let (_, info) = try await json(.get, "/v1/server", admin: false)
        let intake = try X25519Recipient(rawRepresentation: Base64.decode(info["intake_key"]?.stringValue ?? "") ?? [])
        let stanza = try intake.wrap(SymmetricKey(data: ServerAPITests.fileKey))
        _ = try await json(.post, "/v1/admin/models", .object(["name": .string("m")]))
        _ = try await json(
            .post, "/v1/admin/models/m/versions",
            .object([
                "file_id": .string(ServerAPITests.fileID), "wrapped_key": .string(Base64.encode(stanza.body)),
            ]))
        var body = JSONObject(terms)
        body.append(("customer", .string("acme")))
        body.append(("model", .string("m")))
        let (status, license) = try await json(.post, "/v1/admin/licenses", .object(body))
        precondition(status == .created, "license add failed: \(status) \(license)")
        return (license["id"]?.stringValue ?? "", license["token"]?.stringValue ?? "")
    }

    /// `machine` (a new one by default) activated at `now`.
    func activated(
        _ license: (id: String, token: String), machine: TestMachine = TestMachine(), now: Int64
    ) async throws -> TestMachine {
        var machine = machine
        let (status, activation) = try await activate(machine, token: license.token, now: now)
        precondition(status == .ok, "activation failed: \(status) \(activation)")
        machine.machineID = activation["machine_id"]?.stringValue ?? ""
        return machine
    }

    /// A signed machine call with an empty body (heartbeat, check-in, deactivate).
    func machineCall(_ machine: TestMachine, _ path: String, now: Int64) async throws -> (
        HTTPResponse.Status, JSONValue
    ) {
        let signature = try RequestSignature.sign(
            method: "POST", path: path, body: [], key: machine.signingKey, time: now)
        return try await json(
            .post, path, nil, admin: false,
            headers: signature.headers + [(RequestSignature.machineHeader, machine.machineID)])
    }
}
