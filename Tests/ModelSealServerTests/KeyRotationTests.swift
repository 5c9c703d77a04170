import Crypto
import FoundationEssentials
import ModelSealCore
import ModelSealServer
import ModelSealServerProtocol
import Testing

/// Rotation of the server's lease-signing key (docs/SERVER.md §Rotation).
@Suite struct KeyRotationTests {
    static let fileID = String(repeating: "c", count: 32)
    static let fileKey = [UInt8](repeating: 9, count: 32)

    func key(_ key: Curve25519.Signing.PrivateKey) -> [UInt8] { Array(key.publicKey.rawRepresentation) }

    @Test func aChainFromThePinnedKeyIsFollowedAndNothingElse() throws {
        let first = Curve25519.Signing.PrivateKey()
        let second = Curve25519.Signing.PrivateKey()
        let third = Curve25519.Signing.PrivateKey()
        let one = try KeyRotation.sign(previous: first, next: second.publicKey, at: 1)
        let two = try KeyRotation.sign(previous: second, next: third.publicKey, at: 2)
        try KeyRotation.follow(from: key(first), to: key(third), chain: [one, two])
        try KeyRotation.follow(from: key(second), to: key(third), chain: [one, two])
        try KeyRotation.follow(from: key(third), to: key(third), chain: [])
        // Missing link, wrong start, a statement signed by the new key itself, a tampered statement.
        #expect(throws: ServerProtocolError.self) {
            try KeyRotation.follow(from: key(first), to: key(third), chain: [two])
        }
        #expect(throws: ServerProtocolError.self) {
            try KeyRotation.follow(from: key(third), to: key(first), chain: [one, two])
        }
        let forged = try KeyRotation.sign(previous: third, next: third.publicKey, at: 3)
        let selfSigned = KeyRotation(
            previousKey: key(first), nextKey: key(third), at: 3, signature: forged.signature)
        #expect(throws: ServerProtocolError.self) {
            try KeyRotation.follow(from: key(first), to: key(third), chain: [selfSigned])
        }
        let tampered = KeyRotation(previousKey: key(first), nextKey: key(third), at: 1, signature: one.signature)
        #expect(throws: ServerProtocolError.self) {
            try KeyRotation.follow(from: key(first), to: key(third), chain: [tampered])
        }
        #expect(try KeyRotation(json: try JSONParser.parse(Array(JSONWriter.serialize(one.json).utf8))) == one)
    }

    @Test(arguments: StoreKind.allCases) func rotationPublishesTheChainAndTheNewKeySignsLeases(_ kind: StoreKind)
        async throws
    {
        let harness = try await ServerHarness.make(kind)
        let old = harness.server.keys.signing
        let head = try await AuditHead.verifyChain(harness.server.store, expecting: nil, serverKey: harness.server.keys)
            .head.signed(by: harness.server.keys)
        var license = (id: "", token: "")
        try await harness.test { client in
            license = try await client.setUpLicense(fileID: Self.fileID, fileKey: Self.fileKey, maxMachines: 1)
        }
        let rotation = try await KeyRotationStore.rotate(
            store: harness.server.store, keys: harness.server.keys, actor: "server", now: now)
        // A second rotation from the same (now stale) keys loses: the stored key changed meanwhile.
        await #expect(throws: StoreError.self) {
            _ = try await KeyRotationStore.rotate(
                store: harness.server.store, keys: harness.server.keys, actor: "server", now: now)
        }
        try await harness.server.store.close()

        let restarted = try await KeyServer.start(
            database: harness.url, masterKeyFile: harness.masterKeyFile, adminToken: nil, limits: .off,
            clock: { now })
        let new = restarted.keys.signing.publicKey
        #expect(Array(new.rawRepresentation) == rotation.nextKey)
        #expect(rotation.previousKey == key(old))
        #expect(restarted.keys.rotations == [rotation])
        let client = RouterClient(restarted.combinedRouter())
        let (_, info) = try await client.json(.get, "/v1/server", admin: false)
        let served = try (info["key_rotations"]?.arrayValue ?? []).map { try KeyRotation(json: $0) }
        #expect(info["server_key"]?.stringValue == Base64.encode(new.rawRepresentation))
        try KeyRotation.follow(from: key(old), to: Array(new.rawRepresentation), chain: served)

        let machine = try await client.activated(license.token)
        let (status, body) = try await client.release(machine, fileID: Self.fileID, now: now)
        #expect(status == .ok)
        let release = try KeyRelease(json: body)
        try release.verify(serverKey: new, fileID: Self.fileID, machineID: machine.machineID)
        #expect(throws: ServerProtocolError.self) {
            try release.verify(serverKey: old.publicKey, fileID: Self.fileID, machineID: machine.machineID)
        }
        let (_, audit) = try await client.json(.get, "/v1/admin/audit?limit=100")
        let actions = (audit["items"]?.arrayValue ?? []).compactMap { $0["action"]?.stringValue }
        #expect(actions.contains("server.signing_key.rotate"))
        // A head exported before the rotation (signed by the old key) still verifies.
        let verified = try await AuditHead.verifyChain(restarted.store, expecting: head, serverKey: restarted.keys)
        #expect(verified.broken == nil)
        try await restarted.store.close()
        try? FileManager.default.removeItem(atPath: harness.folder)
    }
}
