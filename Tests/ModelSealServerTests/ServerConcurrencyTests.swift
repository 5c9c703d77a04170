import ModelSealCore
import ModelSealServer
import ModelSealServerProtocol
import Testing

@Suite struct ServerConcurrencyTests {
    @Test(arguments: StoreKind.allCases) func twoHundredParallelActivationsOfAFiveMachineLicenseMakeFive(
        _ kind: StoreKind
    ) async throws {
        let harness = try await ServerHarness.make(kind)
        try await harness.test { client in
            let license = try await client.setUpLicense(
                fileID: ServerAPITests.fileID, fileKey: ServerAPITests.fileKey, maxMachines: 5)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<200 {
                    group.addTask {
                        Int(try await client.activate(TestMachine(), token: license.token, now: now).0.code)
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 200 }.count == 5)
            #expect(statuses.filter { $0 == 403 }.count == 195)
            let (_, detail) = try await client.json(.get, "/v1/admin/licenses/\(license.id)")
            #expect(detail["machines"]?.arrayValue?.count == 5)
        }
        try await harness.close()
    }

    @Test(arguments: StoreKind.allCases) func aThousandParallelReleasesAgainstAQuotaOf300ReleaseExactly300(
        _ kind: StoreKind
    ) async throws {
        let harness = try await ServerHarness.make(kind)
        try await harness.test { client in
            let license = try await client.setUpLicense(
                fileID: ServerAPITests.fileID, fileKey: ServerAPITests.fileKey, maxMachines: 1, maxLoads: 300)
            let machine = try await client.activated(license.token)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<1000 {
                    group.addTask {
                        Int(try await client.release(machine, fileID: ServerAPITests.fileID, now: now).0.code)
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 200 }.count == 300)
            #expect(statuses.filter { $0 == 403 }.count == 700)
            let (_, detail) = try await client.json(.get, "/v1/admin/licenses/\(license.id)")
            #expect(detail["loads"]?.intValue == 300)
        }
        let chain = try await AuditHead.verifyChain(
            harness.server.store, expecting: nil, serverKey: harness.server.keys)
        #expect(chain.broken == nil)
        try await harness.close()
    }
}
