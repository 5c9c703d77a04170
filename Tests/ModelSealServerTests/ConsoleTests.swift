import HTTPTypes
import ModelSealCore
import Testing

@testable import ModelSealServer

/// The console's store side: escaping, the per-day rollup, session expiry, incremental audit verification.
/// The pages, CSRF, redirects and the listeners are tested against the real server in a real browser
/// (python/tests/test_console.py).
@Suite struct ConsoleTests {
    @Test func htmlInterpolationEscapesEveryString() {
        let name = "<script>alert(1)</script>\"'&"
        let html: HTML = "<td title=\"\(name)\">\(name)</td>"
        #expect(
            html.text == "<td title=\"&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;\">"
                + "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;</td>")
        #expect(HTML.query("a b/&") == "a%20b%2f%26")
    }

    @Test(arguments: StoreKind.allCases) func releasesAndRefusalsAreCountedPerDay(_ kind: StoreKind) async throws {
        let harness = try await ServerHarness.make(kind)
        let store = try #require(harness.server.store as? any ConsoleStore)
        try await harness.test { client in
            let license = try await client.setUpLicense(
                fileID: ServerAPITests.fileID, fileKey: ServerAPITests.fileKey, maxMachines: 1)
            var machine = TestMachine()
            let (_, activation) = try await client.activate(machine, token: license.token, now: now)
            machine.machineID = activation["machine_id"]?.stringValue ?? ""
            #expect(try await client.release(machine, fileID: ServerAPITests.fileID, now: now).0 == .ok)
            _ = try await client.json(.post, "/v1/admin/licenses/\(license.id)/revoke")
            #expect(try await client.release(machine, fileID: ServerAPITests.fileID, now: now).0 == .forbidden)
            let counts = try await store.dailyCounts(fromDay: now / 86_400 - 29)
            #expect(counts.first { $0.kind == "release" }?.count == 1)
            #expect(counts.first { $0.kind == "refused:revoked" }?.count == 1)
            let machines = try await store.machineActivity(licenseID: license.id, after: nil, limit: 10)
            #expect(machines.first?.lastSeenAt == now)
            #expect(machines.first?.leaseExpiresAt == now + 86_400)
            #expect(try await store.activeMachineCount(seenSince: now - 1) == 1)
        }
        try await harness.close()
    }

    @Test(arguments: StoreKind.allCases) func auditVerificationIsIncrementalAndFindsABreak(_ kind: StoreKind)
        async throws
    {
        let harness = try await ServerHarness.make(kind)
        let store = try #require(harness.server.store as? any ConsoleStore)
        _ = try await store.addCustomer(name: "a", actor: "admin:root", now: now)
        let first = try await store.verifyAuditIncrementally(budget: 1, now: now)
        #expect(first.verifiedThrough == 1 && first.lastSequence == 2 && first.brokenAt == nil)
        let second = try await store.verifyAuditIncrementally(budget: 1000, now: now)
        #expect(second.verifiedThrough == 2 && second.brokenAt == nil)
        _ = try await store.addCustomer(name: "b", actor: "admin:root", now: now)
        try await harness.tamper("UPDATE audit SET detail = 'edited' WHERE seq = 3")
        let third = try await store.verifyAuditIncrementally(budget: 1000, now: now)
        #expect(third.brokenAt == 3 && third.verifiedThrough == 2)
        try await harness.close()
    }

    @Test(arguments: StoreKind.allCases) func theLimitsFormStoresThePolicyAndAuditsTheWholeSet(_ kind: StoreKind)
        async throws
    {
        let harness = try await ServerHarness.make(kind)
        let store = try #require(harness.server.store as? any ConsoleStore)
        try await harness.test { client in
            let license = try await client.setUpLicense(
                fileID: ServerAPITests.fileID, fileKey: ServerAPITests.fileKey, maxMachines: 1)
            var terms = LicenseTerms(maxMachines: 3, maxLoads: nil, expiresAt: nil, leaseSeconds: 600)
            terms.policy = LicensePolicy(
                kind: .floating, maxLoadsPerDay: 7, maxLoadsPerMonth: 70, graceSeconds: 120, cooldownSeconds: 300)
            try await store.updateLicenseLimits(id: license.id, terms: terms, actor: "admin:root", now: now)
            let stored = try #require(try await harness.server.store.license(id: license.id))
            #expect(stored.policy == terms.policy && stored.maxMachines == 3 && stored.leaseSeconds == 600)
            let entry = try #require(
                try await store.auditPage(AuditQuery(before: nil, actor: nil, action: "license.limits", limit: 1)).first
            )
            #expect(entry.detail == terms.auditDetail)
            #expect(entry.detail.contains("policy=floating max_loads_day=7 max_loads_month=70 grace_seconds=120"))
        }
        try await harness.close()
    }

    @Test func aFloatingPolicyNeedsALease() {
        #expect(LicensePolicy(kind: .floating).problem(leaseSeconds: 0) != nil)
        #expect(LicensePolicy(kind: .floating).problem(leaseSeconds: 1) == nil)
        #expect(LicensePolicy(kind: .nodeLocked).problem(leaseSeconds: 0) == nil)
    }

    @Test(arguments: StoreKind.allCases) func sessionsExpire(_ kind: StoreKind) async throws {
        let harness = try await ServerHarness.make(kind)
        let store = try #require(harness.server.store as? any ConsoleStore)
        try await store.createSession(tokenHash: "a", admin: "root", csrf: "c", now: now, expiresAt: now + 10)
        try await store.createSession(tokenHash: "b", admin: "root", csrf: "c", now: now - 20, expiresAt: now - 10)
        #expect(try await store.session(tokenHash: "a", now: now)?.admin == "root")
        #expect(try await store.session(tokenHash: "b", now: now) == nil)
        #expect(try await store.session(tokenHash: "a", now: now + 10) == nil)
        try await harness.close()
    }
}
