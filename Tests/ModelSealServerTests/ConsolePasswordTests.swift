import HTTPTypes
import ModelSealCore
import Testing

@testable import ModelSealServer

/// Named admins' passwords (scrypt) and the mark registry through the admin API, on the store the
/// harness runs (docs/CONSOLE.md §Security, docs/MARKING.md §Registry on the key server).
@Suite struct ConsolePasswordTests {
    @Test func passwordHashesVerifyOnlyTheirPassword() throws {
        let stored = try AdminPassword.hash("correct horse battery")
        #expect(stored.hasPrefix("scrypt$15$8$1$") && !stored.contains("correct"))
        #expect(AdminPassword.verify("correct horse battery", stored: stored))
        #expect(!AdminPassword.verify("correct horse batterz", stored: stored))
        #expect(!AdminPassword.verify("correct horse battery", stored: nil))
        #expect(!AdminPassword.verify("correct horse battery", stored: "scrypt$30$8$1$AAAA$AAAA"))
        #expect(try AdminPassword.hash("correct horse battery") != stored)
        #expect(AdminPassword.problem("short") != nil && AdminPassword.problem("long enough pw") == nil)
    }

    @Test(arguments: StoreKind.allCases) func adminsGetPasswordsThroughTheAPI(_ kind: StoreKind) async throws {
        let harness = try await ServerHarness.make(kind)
        try await harness.test { client in
            let (weak, _) = try await client.json(
                .post, "/v1/admin/admins", .object([("name", .string("bob")), ("password", .string("short"))]))
            #expect(weak == .badRequest)
            let (added, body) = try await client.json(
                .post, "/v1/admin/admins",
                .object([("name", .string("alice")), ("password", .string("a long password"))]))
            #expect(added == .created && body["password"] == .bool(true))
            let stored = try await harness.server.store.adminPasswordHash(name: "alice")
            #expect(AdminPassword.verify("a long password", stored: stored))
            let (changed, _) = try await client.json(
                .post, "/v1/admin/admins/alice/password", .object([("password", .string("another long one"))]))
            #expect(changed == .created)
            let again = try await harness.server.store.adminPasswordHash(name: "alice")
            #expect(AdminPassword.verify("another long one", stored: again))
            let (missing, _) = try await client.json(
                .post, "/v1/admin/admins/nobody/password", .object([("password", .string("another long one"))]))
            #expect(missing == .notFound)
        }
        try await harness.close()
    }

    @Test(arguments: StoreKind.allCases) func marksAreRecordedAndKeysetPaged(_ kind: StoreKind) async throws {
        let harness = try await ServerHarness.make(kind)
        try await harness.test { client in
            for customer in ["acme", "globex", "initech"] {
                let (status, _) = try await client.json(
                    .post, "/v1/admin/marks",
                    .object([
                        ("customer", .string(customer)), ("model_id", .string("m-v1")),
                        ("parameters", .object([("min_elements", .integer(4096))])),
                    ]))
                #expect(status == .created)
            }
            let (_, other) = try await client.json(
                .post, "/v1/admin/marks", .object([("customer", .string("acme")), ("model_id", .string("n-v1"))]))
            #expect(other["mark"]?["tiers"] == .string("B"))
            let (_, first) = try await client.json(.get, "/v1/admin/marks?model_id=m-v1&limit=2")
            let items = first["items"]?.arrayValue ?? []
            #expect(items.compactMap { $0["customer"]?.stringValue } == ["acme", "globex"])
            let last = items.last?["seq"]?.int64Value ?? 0
            let (_, second) = try await client.json(.get, "/v1/admin/marks?model_id=m-v1&after=\(last)")
            #expect(second["items"]?.arrayValue?.compactMap { $0["customer"]?.stringValue } == ["initech"])
            let (bad, _) = try await client.json(.post, "/v1/admin/marks", .object([("customer", .string("x"))]))
            #expect(bad == .badRequest)
            let (_, audit) = try await client.json(.get, "/v1/admin/audit")
            let actions = audit["items"]?.arrayValue?.compactMap { $0["action"]?.stringValue } ?? []
            #expect(actions.filter { $0 == "mark.add" }.count == 4)
        }
        try await harness.close()
    }
}
