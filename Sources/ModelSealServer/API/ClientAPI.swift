import Crypto
import HTTPTypes
import Hummingbird
import ModelSealCore
import ModelSealServerProtocol

/// The client API under `/v1` (docs/SERVER.md §Client API): signed activation and key release.
extension KeyServer {
    func addClientRoutes(_ router: Router<BasicRequestContext>) {
        router.post("/v1/activate") { request, _ in
            await self.counted("activation") { try await self.countingRefusals { try await self.activate(request) } }
        }
        router.post("/v1/release") { request, _ in
            let start = ContinuousClock.now
            let response = await self.counted("release") {
                try await self.countingRefusals { try await self.release(request) }
            }
            if response.status == .ok {
                let elapsed = (ContinuousClock.now - start).components
                self.metrics.observeRelease(seconds: Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18)
            }
            return response
        }
        addSeatRoutes(router)
        addAttestationRoute(router)
    }

    /// Activation: the body names the token, the machine key and its KEM (`machine_kem`: `x25519`, or `p256`
    /// for a key in a TPM) and the request-signing key and its algorithm (`signing_algorithm`: `ed25519` or
    /// `ecdsa-p256`; both default to the first); the request is signed with the signing key it registers (proof
    /// of possession). A signing key that is not a key of its algorithm cannot have signed the request (401); the
    /// machine key is checked once the signature holds (400).
    func activate(_ request: Request) async throws -> Response {
        let (bytes, body) = try await APIResponse.body(request)
        let signing = try Self.signingKey(body)
        let label = body["label"]?.stringValue ?? ""
        guard label.utf8.count <= 256 else { throw APIError.badRequest("label is at most 256 bytes") }
        let tokenHash = Identifier.tokenHash(try body.name("token"))
        if let wait = limits.activation.take(tokenHash) { throw APIError.limited(wait) }
        let signature = try Self.signature(request)
        try signature.verify(
            method: "POST", path: request.uri.path, body: bytes, publicKey: signing.verifying, now: clock())
        let machine = try Self.machineKey(body, signingKey: signing.bytes)
        let attested = try credential(for: body, machineKey: machine.key, kem: machine.kem)
        let record = try await store.activate(
            tokenHash: tokenHash, machineKey: machine.key, machineKEM: machine.kem, signingKey: signing.bytes,
            signingAlgorithm: signing.algorithm, label: label, now: clock())
        var answer: JSONObject = [
            "machine_id": .string(record.id), "license_id": .string(record.licenseID),
            "server_key": .string(keys.publicKeyText),
        ]
        if let attested {
            try await store.expectAttestation(machineID: record.id, secretHash: Self.secretHash(attested.secret))
            answer.append(("ek_credential", Self.credentialJSON(attested.credential)))
        }
        return APIResponse.json(.object(answer))
    }

    /// The activation body's request-signing key, as a key of its stated algorithm.
    static func signingKey(_ body: JSONValue) throws -> (
        bytes: [UInt8], algorithm: RequestSigningAlgorithm, verifying: RequestVerifyingKey
    ) {
        let algorithmName = body["signing_algorithm"]?.stringValue ?? RequestSigningAlgorithm.ed25519.rawValue
        guard let algorithm = RequestSigningAlgorithm(rawValue: algorithmName) else {
            throw APIError.badRequest("signing_algorithm is ed25519 or ecdsa-p256")
        }
        guard let bytes = Base64.decode(try body.required("signing_key")),
            let verifying = RequestVerifyingKey(algorithm, bytes: bytes)
        else {
            throw ServerProtocolError(
                algorithm == .ed25519
                    ? "signing_key is not the base64 of a 32-byte Ed25519 public key, so it signed nothing"
                    : "signing_key is not the base64 of a 65-byte uncompressed P-256 public key, so it signed nothing")
        }
        return (bytes, algorithm, verifying)
    }

    /// The activation body's machine key, as a key of its stated KEM, and not the signing key.
    static func machineKey(_ body: JSONValue, signingKey: [UInt8]) throws -> (key: [UInt8], kem: ReleaseKEM) {
        guard let kem = ReleaseKEM(rawValue: body["machine_kem"]?.stringValue ?? ReleaseKEM.x25519.rawValue) else {
            throw APIError.badRequest("machine_kem is x25519 or p256")
        }
        guard let key = Base64.decode(try body.required("machine_key")), kem.isValidPublicKey(key) else {
            throw APIError.badRequest(
                kem == .x25519
                    ? "machine_key is the base64 of a 32-byte X25519 public key"
                    : "machine_key is the base64 of a 65-byte uncompressed P-256 public key")
        }
        // A key used both to sign and to decrypt: the two must be separate keys (docs/SERVER.md §TPM).
        guard key != signingKey else { throw APIError.badRequest("signing_key must not be the machine key") }
        return (key, kem)
    }

    /// Release: the version's file key wrapped to the machine key, bound to the signed lease, counted once
    /// per nonce in the store's transaction.
    func release(_ request: Request) async throws -> Response {
        let signed = try await machineRequest(request)
        let (machine, signature, now) = (signed.machine, signed.signature, signed.now)
        try checkAttested(machine)
        let machineID = machine.id
        let fileID = try signed.body.required("file_id")
        let keys = self.keys
        let answer = try await store.release(machineID: machineID, nonce: signature.nonce, fileID: fileID, now: now) {
            license, version in
            let fileKey = try keys.unwrap(version.wrappedKey, fileID: version.fileID)
            var expiry = now + license.leaseSeconds
            var offline = now + (license.policy.graceSeconds ?? license.leaseSeconds)
            if let licenseExpiry = license.expiresAt {
                expiry = min(expiry, licenseExpiry)
                offline = min(offline, licenseExpiry)
            }
            let lease = Lease(
                licenseID: license.id, machineID: machineID, fileID: fileID, nonce: signature.nonce, issuedAt: now,
                expiresAt: expiry, offlineUntil: offline)
            let release = try KeyRelease.make(
                lease: lease, fileKey: fileKey, machineKey: machine.machineKey, kem: machine.machineKEM,
                serverKey: keys.signing)
            return Array(JSONWriter.serialize(release.json).utf8) + [0x0A]
        }
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer)))
    }

    /// A signed request of an activated machine (`x-modelseal-machine`), rate-limited per machine, with
    /// its signature checked against the machine's registered key.
    func machineRequest(_ request: Request) async throws -> (
        machine: MachineRecord, signature: RequestSignature, body: JSONValue, now: Int64
    ) {
        let (bytes, body) = try await APIResponse.body(request, allowEmpty: true)
        guard let name = HTTPField.Name(RequestSignature.machineHeader), let machineID = request.headers[name] else {
            throw APIError.unauthorized("the request needs the x-modelseal-machine header")
        }
        if let wait = limits.release.take(machineID) { throw APIError.limited(wait) }
        guard let machine = try await store.machine(id: machineID),
            let signingKey = RequestVerifyingKey(machine.signingAlgorithm, bytes: machine.signingKey)
        else { throw APIError.unauthorized("unknown machine: activate again") }
        let signature = try Self.signature(request)
        let now = clock()
        try signature.verify(method: "POST", path: request.uri.path, body: bytes, publicKey: signingKey, now: now)
        return (machine, signature, body, now)
    }

    /// Answers with `handler` and counts the outcome.
    func counted(_ kind: String, _ handler: () async throws -> Response) async -> Response {
        let response = await APIResponse.handle(handler)
        let outcome =
            switch response.status.code {
            case 200: "ok"
            case 429: "limited"
            case 500...: "error"
            default: "refused"
            }
        metrics.count(kind, outcome: outcome)
        return response
    }

    static func signature(_ request: Request) throws -> RequestSignature {
        func header(_ name: String) -> String? { HTTPField.Name(name).flatMap { request.headers[$0] } }
        return try RequestSignature(
            nonce: header(RequestSignature.nonceHeader), time: header(RequestSignature.timeHeader),
            signature: header(RequestSignature.signatureHeader))
    }
}
