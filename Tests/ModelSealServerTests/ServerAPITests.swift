import Crypto
import FoundationEssentials
import ModelSealCore
import ModelSealServer
import ModelSealServerProtocol
import Testing

@Suite struct ServerAPITests {
    static let fileID = "0123456789abcdef0123456789abcdef"
    static let fileKey = (0..<32).map { UInt8($0) }

    @Test(arguments: StoreKind.allCases) func adminNeedsAToken(_ kind: StoreKind) async throws {
        let harness = try await ServerHarness.make(kind)
        try await harness.test { client in
            let (status, body) = try await client.json(.get, "/v1/admin/licenses", admin: false)
            #expect(status == .unauthorized)
            #expect(body["error"]?.stringValue == "unauthorized")
            let (ok, _) = try await client.json(.get, "/healthz", admin: false)
            #expect(ok == .ok)
        }
        try await harness.close()
    }

    @Test(arguments: StoreKind.allCases) func activateReleaseAndRevoke(_ kind: StoreKind) async throws {
        let harness = try await ServerHarness.make(kind)
        let serverKey = harness.server.keys.signing.publicKey
        try await harness.test { client in
            let license = try await client.setUpLicense(fileID: Self.fileID, fileKey: Self.fileKey, maxMachines: 2)
            var machine = TestMachine()
            let (status, activation) = try await client.activate(machine, token: license.token, now: now)
            #expect(status == .ok)
            machine.machineID = activation["machine_id"]?.stringValue ?? ""
            #expect(activation["license_id"]?.stringValue == license.id)

            let (released, body) = try await client.release(machine, fileID: Self.fileID, now: now)
            #expect(released == .ok)
            let release = try KeyRelease(json: body)
            try release.verify(serverKey: serverKey, fileID: Self.fileID, machineID: machine.machineID)
            #expect(try openRelease(release, machine: machine) == Self.fileKey)
            #expect(release.lease.expiresAt == now + 86_400)

            // Another machine's key does not open it.
            #expect(throws: (any Error).self) { try openRelease(release, machine: TestMachine()) }

            let (revoked, _) = try await client.json(.post, "/v1/admin/licenses/\(license.id)/revoke")
            #expect(revoked == .created)
            let (refused, refusal) = try await client.release(machine, fileID: Self.fileID, now: now)
            #expect(refused == .forbidden)
            #expect(refusal["error"]?.stringValue == "revoked")
            let (_, after) = try await client.json(.get, "/v1/admin/licenses/\(license.id)")
            #expect(after["loads"]?.intValue == 1)
        }
        try await harness.close()
    }

    @Test(arguments: StoreKind.allCases) func signaturesAreChecked(_ kind: StoreKind) async throws {
        let harness = try await ServerHarness.make(kind)
        try await harness.test { client in
            let license = try await client.setUpLicense(fileID: Self.fileID, fileKey: Self.fileKey, maxMachines: 1)
            var machine = TestMachine()
            let (stale, staleBody) = try await client.activate(machine, token: license.token, now: now - 301)
            #expect(stale == .unauthorized)
            #expect(staleBody["error"]?.stringValue == "bad_signature")
            let (_, activation) = try await client.activate(machine, token: license.token, now: now)
            machine.machineID = activation["machine_id"]?.stringValue ?? ""
            var impostor = TestMachine()
            impostor.machineID = machine.machineID
            let (forged, _) = try await client.release(impostor, fileID: Self.fileID, now: now)
            #expect(forged == .unauthorized)
            let (badToken, badBody) = try await client.activate(TestMachine(), token: "mst_wrong", now: now)
            #expect(badToken == .forbidden)
            #expect(badBody["error"]?.stringValue == "invalid_token")
        }
        try await harness.close()
    }

    @Test(arguments: StoreKind.allCases) func aRetriedNonceIsCountedOnce(_ kind: StoreKind) async throws {
        let harness = try await ServerHarness.make(kind)
        try await harness.test { client in
            let license = try await client.setUpLicense(
                fileID: Self.fileID, fileKey: Self.fileKey, maxMachines: 1, maxLoads: 2)
            let machine = try await client.activated(license.token)
            let nonce = RequestSignature.newNonce()
            let (first, one) = try await client.release(machine, fileID: Self.fileID, now: now, nonce: nonce)
            let (second, two) = try await client.release(machine, fileID: Self.fileID, now: now + 1, nonce: nonce)
            #expect(first == .ok && second == .ok)
            #expect(one == two)
            let (third, _) = try await client.release(machine, fileID: Self.fileID, now: now)
            #expect(third == .ok)
            let (fourth, quota) = try await client.release(machine, fileID: Self.fileID, now: now)
            #expect(fourth == .forbidden)
            #expect(quota["error"]?.stringValue == "over_quota")
            let (_, after) = try await client.json(.get, "/v1/admin/licenses/\(license.id)")
            #expect(after["loads"]?.intValue == 2)
        }
        try await harness.close()
    }

    @Test(arguments: StoreKind.allCases) func reactivatingTheSameMachineTakesNoSlot(_ kind: StoreKind) async throws {
        let harness = try await ServerHarness.make(kind)
        try await harness.test { client in
            let license = try await client.setUpLicense(fileID: Self.fileID, fileKey: Self.fileKey, maxMachines: 1)
            let machine = TestMachine()
            let (first, one) = try await client.activate(machine, token: license.token, now: now)
            let (again, two) = try await client.activate(machine, token: license.token, now: now)
            #expect(first == .ok && again == .ok)
            #expect(one["machine_id"] == two["machine_id"])
            let (full, body) = try await client.activate(TestMachine(), token: license.token, now: now)
            #expect(full == .forbidden)
            #expect(body["error"]?.stringValue == "machines_exhausted")
        }
        try await harness.close()
    }

    @Test(arguments: StoreKind.allCases) func rateLimitedReleasesGet429AndAreNotCounted(_ kind: StoreKind) async throws
    {
        let harness = try await ServerHarness.make(
            kind, limits: RateLimits(release: .init(rate: 0.01, burst: 2), activation: nil))
        try await harness.test { client in
            let license = try await client.setUpLicense(fileID: Self.fileID, fileKey: Self.fileKey, maxMachines: 1)
            let machine = try await client.activated(license.token)
            for _ in 0..<2 {
                let (status, _) = try await client.release(machine, fileID: Self.fileID, now: now)
                #expect(status == .ok)
            }
            let (limited, body) = try await client.release(machine, fileID: Self.fileID, now: now)
            #expect(limited == .tooManyRequests)
            #expect(body["error"]?.stringValue == "rate_limited")
            let (_, after) = try await client.json(.get, "/v1/admin/licenses/\(license.id)")
            #expect(after["loads"]?.intValue == 2)
            let metrics = try await client.text("/metrics")
            #expect(metrics.contains("modelseal_requests_total{kind=\"release\",outcome=\"limited\"} 1"))
            #expect(metrics.contains("modelseal_requests_total{kind=\"release\",outcome=\"ok\"} 2"))
            #expect(!metrics.contains(license.id))
        }
        try await harness.close()
    }

    @Test func theServedOpenAPIDocumentIsTheCommittedOne() async throws {
        let harness = try await ServerHarness.make()
        let committed = try String(
            contentsOfFile: #filePath.replacingOccurrences(
                of: "Tests/ModelSealServerTests/ServerAPITests.swift", with: "docs/openapi.json"),
            encoding: .utf8)
        try await harness.test { client in
            let served = try await client.text("/openapi.json")
            #expect(served == committed, "docs/openapi.json is stale: regenerate it with scripts/gen-openapi.sh")
        }
        try await harness.close()
    }

    @Test(arguments: StoreKind.allCases) func theAuditChainVerifiesAndDetectsAnEdit(_ kind: StoreKind) async throws {
        let harness = try await ServerHarness.make(kind)
        try await harness.test { client in
            _ = try await client.setUpLicense(fileID: Self.fileID, fileKey: Self.fileKey, maxMachines: 1)
        }
        let store = harness.server.store
        let result = try await AuditHead.verifyChain(store, expecting: nil, serverKey: harness.server.keys)
        #expect(result.broken == nil)
        #expect(result.count >= 4)
        let entries = try await store.audit(after: 0, limit: 100)
        var edited = entries
        let victim = edited[1]
        edited[1] = AuditRecord(
            sequence: victim.sequence, at: victim.at, actor: "admin:mallory", action: victim.action,
            subject: victim.subject, detail: victim.detail, hash: victim.hash)
        #expect(AuditChain.firstBreak(edited) == victim.sequence)
        try await harness.close()
    }
}
