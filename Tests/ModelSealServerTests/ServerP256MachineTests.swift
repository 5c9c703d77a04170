import Crypto
import FoundationEssentials
import HTTPTypes
import ModelSealCore
import ModelSealServerProtocol
import Testing

@testable import ModelSealServer

/// A machine whose keys are P-256 (what `modelseal activate --tpm` registers): a DHKEM(P-256) machine key and an
/// ECDSA P-256 request-signing key. Here both are software keys in memory, so the server's side (key kinds at
/// activation, ECDSA verification, P-256 wrapping) is tested on its own; python/tests/test_server_tpm.py runs
/// the same protocol with the keys in a real swtpm.
struct P256TestMachine: Sendable {
    let machineKey = P256.KeyAgreement.PrivateKey()
    let signingKey = P256.Signing.PrivateKey()
    var machineID = ""
}

/// ECDSA P-256 as the TPM signs: `r || s` over SHA-256 of the message.
struct P256RequestKey: RequestSigningKey {
    let key: P256.Signing.PrivateKey
    var algorithm: RequestSigningAlgorithm { .ecdsaP256 }
    func signature(for message: [UInt8]) throws -> [UInt8] { Array(try key.signature(for: message).rawRepresentation) }
}

extension RouterClient {
    func activate(
        _ machine: P256TestMachine, token: String, now: Int64, signWith other: (any RequestSigningKey)? = nil,
        fields: JSONObject = []
    ) async throws -> (HTTPResponse.Status, JSONValue) {
        var members: JSONObject = [
            "token": .string(token),
            "machine_key": .string(Base64.encode(machine.machineKey.publicKey.x963Representation)),
            "machine_kem": .string("p256"),
            "signing_key": .string(Base64.encode(machine.signingKey.publicKey.x963Representation)),
            "signing_algorithm": .string("ecdsa-p256"), "label": .string("tpm"),
        ]
        for member in fields { members.append(member) }
        let body: JSONValue = .object(members)
        let signature = try RequestSignature.sign(
            method: "POST", path: "/v1/activate", body: Array(JSONWriter.serialize(body).utf8),
            key: other ?? P256RequestKey(key: machine.signingKey), time: now)
        return try await json(.post, "/v1/activate", body, admin: false, headers: signature.headers)
    }

    func release(
        _ machine: P256TestMachine, fileID: String, now: Int64, signWith other: (any RequestSigningKey)? = nil
    ) async throws -> (HTTPResponse.Status, JSONValue) {
        let body: JSONValue = .object(["file_id": .string(fileID)])
        let signature = try RequestSignature.sign(
            method: "POST", path: "/v1/release", body: Array(JSONWriter.serialize(body).utf8),
            key: other ?? P256RequestKey(key: machine.signingKey), time: now)
        return try await json(
            .post, "/v1/release", body, admin: false,
            headers: signature.headers + [(RequestSignature.machineHeader, machine.machineID)])
    }
}

/// Opens a release wrapped to a P-256 machine key (what the TPM does with TPM2_ECDH_ZGen on a real machine).
func openRelease(_ release: KeyRelease, machine: P256TestMachine) throws -> [UInt8] {
    var receiver = try HPKE.Recipient(
        privateKey: machine.machineKey, ciphersuite: ReleaseKEM.p256.suite, info: Data(KeyRelease.info),
        encapsulatedKey: Data(release.wrappedKey.prefix(65)))
    return Array(try receiver.open(Data(release.wrappedKey.dropFirst(65)), authenticating: Data(release.lease.binding)))
}

@Suite struct ServerP256MachineTests {
    static let fileID = "00112233445566778899aabbccddeeff"
    static let fileKey = (0..<32).map { UInt8(255 - $0) }

    @Test(arguments: StoreKind.allCases) func aP256MachineActivatesAndGetsAP256Release(_ kind: StoreKind) async throws {
        let harness = try await ServerHarness.make(kind)
        let serverKey = harness.server.keys.signing.publicKey
        try await harness.test { client in
            let license = try await client.setUpLicense(fileID: Self.fileID, fileKey: Self.fileKey, maxMachines: 2)
            var machine = P256TestMachine()
            let (status, activation) = try await client.activate(machine, token: license.token, now: now)
            #expect(status == .ok)
            machine.machineID = activation["machine_id"]?.stringValue ?? ""
            let (released, body) = try await client.release(machine, fileID: Self.fileID, now: now)
            #expect(released == .ok)
            let release = try KeyRelease(json: body)
            #expect(release.wrappedKey.count == 65 + 48)
            try release.verify(serverKey: serverKey, fileID: Self.fileID, machineID: machine.machineID)
            #expect(try openRelease(release, machine: machine) == Self.fileKey)
            #expect(throws: (any Error).self) { try openRelease(release, machine: P256TestMachine()) }

            // The stored kinds, beside a machine activated the earlier way (no kinds named: X25519, Ed25519).
            _ = try await client.activated(license.token)
            let (_, shown) = try await client.json(.get, "/v1/admin/licenses/\(license.id)")
            let kinds = (shown["machines"]?.arrayValue ?? []).map {
                ($0["machine_kem"]?.stringValue ?? "", $0["signing_algorithm"]?.stringValue ?? "")
            }
            #expect(kinds.contains { $0 == ("p256", "ecdsa-p256") })
            #expect(kinds.contains { $0 == ("x25519", "ed25519") })
        }
        try await harness.close()
    }

    @Test(arguments: StoreKind.allCases) func requestsSignedByAnotherKeyAreRefused(_ kind: StoreKind) async throws {
        let harness = try await ServerHarness.make(kind)
        try await harness.test { client in
            let license = try await client.setUpLicense(fileID: Self.fileID, fileKey: Self.fileKey, maxMachines: 2)
            var machine = P256TestMachine()
            // Activation is proof of possession: signed by another P-256 key, or by an Ed25519 key, it is refused.
            let (stolen, _) = try await client.activate(
                machine, token: license.token, now: now, signWith: P256RequestKey(key: P256.Signing.PrivateKey()))
            #expect(stolen == .unauthorized)
            let (_, activation) = try await client.activate(machine, token: license.token, now: now)
            machine.machineID = activation["machine_id"]?.stringValue ?? ""
            let (forged, forgedBody) = try await client.release(
                machine, fileID: Self.fileID, now: now, signWith: P256RequestKey(key: P256.Signing.PrivateKey()))
            #expect(forged == .unauthorized)
            #expect(forgedBody["error"]?.stringValue == "bad_signature")
            let (ed25519, _) = try await client.release(
                machine, fileID: Self.fileID, now: now, signWith: Curve25519.Signing.PrivateKey())
            #expect(ed25519 == .unauthorized)
            let (stale, _) = try await client.release(machine, fileID: Self.fileID, now: now - 301)
            #expect(stale == .unauthorized)
            let (_, after) = try await client.json(.get, "/v1/admin/licenses/\(license.id)")
            #expect(after["loads"]?.intValue == 0)

            let (revoked, _) = try await client.json(.post, "/v1/admin/licenses/\(license.id)/revoke")
            #expect(revoked == .created)
            let (refused, refusal) = try await client.release(machine, fileID: Self.fileID, now: now)
            #expect(refused == .forbidden)
            #expect(refusal["error"]?.stringValue == "revoked")
        }
        try await harness.close()
    }

    @Test(arguments: StoreKind.allCases) func keysThatDoNotMatchTheirKindAreRefused(_ kind: StoreKind) async throws {
        let harness = try await ServerHarness.make(kind)
        try await harness.test { client in
            let license = try await client.setUpLicense(fileID: Self.fileID, fileKey: Self.fileKey, maxMachines: 2)
            let machine = P256TestMachine()
            let x25519 = Base64.encode(Curve25519.KeyAgreement.PrivateKey().publicKey.rawRepresentation)
            // The machine key is checked once the signature holds: 400.
            let machineCases: [JSONObject] = [
                ["machine_kem": .string("x25519")],  // a P-256 point named X25519
                ["machine_key": .string(x25519)],  // an X25519 key named P-256
                ["machine_kem": .string("p384")],
                ["machine_key": .string(Base64.encode([4] + [UInt8](repeating: 1, count: 64)))],  // not on the curve
            ]
            for fields in machineCases {
                let (status, body) = try await client.activate(machine, token: license.token, now: now, fields: fields)
                #expect(status == .badRequest, "\(fields)")
                #expect(body["error"]?.stringValue == "bad_request", "\(fields)")
            }
            // A signing key that is not a key of its algorithm signed nothing: 401.
            for fields: JSONObject in [["signing_algorithm": .string("ed25519")], ["signing_key": .string(x25519)]] {
                let (status, body) = try await client.activate(machine, token: license.token, now: now, fields: fields)
                #expect(status == .unauthorized, "\(fields)")
                #expect(body["error"]?.stringValue == "bad_signature", "\(fields)")
            }
            let (unknown, _) = try await client.activate(
                machine, token: license.token, now: now, fields: ["signing_algorithm": .string("rsa")])
            #expect(unknown == .badRequest)
            // One key to sign and to decrypt (the machine key's scalar as the ECDSA key): refused, even signed.
            let scalar = try P256.Signing.PrivateKey(rawRepresentation: machine.machineKey.rawRepresentation)
            let (same, sameBody) = try await client.activate(
                machine, token: license.token, now: now, signWith: P256RequestKey(key: scalar),
                fields: ["signing_key": .string(Base64.encode(machine.machineKey.publicKey.x963Representation))])
            #expect(same == .badRequest)
            #expect(sameBody["message"]?.stringValue?.contains("must not be the machine key") == true)
            let (_, shown) = try await client.json(.get, "/v1/admin/licenses/\(license.id)")
            #expect(shown["machines"]?.arrayValue?.isEmpty == true)
        }
        try await harness.close()
    }

    @Test(arguments: StoreKind.allCases) func anAttestationNeedsTheExpectedSecretOnce(_ kind: StoreKind) async throws {
        let harness = try await ServerHarness.make(kind)
        try await harness.test { client in
            let license = try await client.setUpLicense(fileID: Self.fileID, fileKey: Self.fileKey, maxMachines: 2)
            var machine = P256TestMachine()
            let (_, activation) = try await client.activate(machine, token: license.token, now: now)
            machine.machineID = activation["machine_id"]?.stringValue ?? ""
            let store = harness.server.store
            let secret = (0..<32).map { UInt8($0) }
            // Nothing expected yet: refused.
            await #expect(throws: StoreError.self) {
                try await store.attest(machineID: machine.machineID, secretHash: KeyServer.secretHash(secret), now: now)
            }
            try await store.expectAttestation(machineID: machine.machineID, secretHash: KeyServer.secretHash(secret))
            await #expect(throws: StoreError.self) {
                try await store.attest(machineID: machine.machineID, secretHash: KeyServer.secretHash([1]), now: now)
            }
            let attested = try await store.attest(
                machineID: machine.machineID, secretHash: KeyServer.secretHash(secret), now: now)
            #expect(attested.attestedAt == now)
            // Used up: the same secret again is refused, the machine stays attested.
            await #expect(throws: StoreError.self) {
                try await store.attest(machineID: machine.machineID, secretHash: KeyServer.secretHash(secret), now: now)
            }
            #expect(try await store.machine(id: machine.machineID)?.attestedAt == now)
            // Through the API: a signed attest with a wrong secret is refused not_attested.
            let body: JSONValue = .object(["secret": .string(Base64.encode([UInt8](repeating: 7, count: 32)))])
            let signature = try RequestSignature.sign(
                method: "POST", path: "/v1/attest", body: Array(JSONWriter.serialize(body).utf8),
                key: P256RequestKey(key: machine.signingKey), time: now)
            let (status, refusal) = try await client.json(
                .post, "/v1/attest", body, admin: false,
                headers: signature.headers + [(RequestSignature.machineHeader, machine.machineID)])
            #expect(status == .forbidden)
            #expect(refusal["error"]?.stringValue == "not_attested")
        }
        try await harness.close()
    }
}
