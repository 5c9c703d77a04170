import Crypto
import ModelSealCore
import ModelSealLicensing
import ModelSealServerProtocol

/// Getting a version's file key from the key server (docs/SERVER.md §Client): ask whenever the server
/// answers; reuse the cached release only when it does not answer at all (a network error) and only
/// until its lease's `expires_at`; any refusal deletes the cached release.
///
/// Three steps, so that a surface with its own HTTP client (the Python package) shares every rule with
/// the CLI: `prepare` signs the request, the caller sends it, then `finish` (an answer came back) or
/// `finishUnreachable` (a network error) verifies the release or falls back on the cache.
public enum KeyRequest {
    /// The file key and, when the cache was used, a note for the user saying so.
    public struct Outcome: Sendable {
        public let fileKey: [UInt8]
        public let lease: Lease
        public let note: String?
    }

    /// A signed release request waiting for its answer (single use: its nonce is in the signature).
    public struct Pending: Sendable {
        public let url: ServerURL
        public let fileID: String
        /// `POST`, the path after the URL's base path, the headers and the JSON body to send.
        public let method = "POST"
        public let path = "/v1/release"
        public let headers: [(String, String)]
        public let body: [UInt8]
        let nonce: String
        let activation: ServerActivation
        let directory: LicensingDirectory
        let now: Int64

        /// For `https://` servers: the TLS key pinned at activation (`tls_spki_sha256`), which the
        /// server must present before the request is sent.
        public var tlsPin: String? { activation.tlsKey }

        var cachePath: String {
            ServerActivation.folder(url, directory: directory) + "/leases/" + fileID + ".json"
        }
    }

    /// Asks the server (HTTP, or HTTPS with the pinned TLS key), or uses the cache on a network error.
    public static func fileKey(
        url: ServerURL, fileID: String, directory: LicensingDirectory, now: Int64
    ) throws(ServerClientError) -> Outcome {
        let pending = try prepare(url: url, fileID: fileID, directory: directory, now: now)
        let answer: PlainHTTP.Answer
        do {
            answer = try PlainHTTP.send(
                pending.method, url, path: pending.path, headers: pending.headers, body: pending.body,
                trust: pending.activation.trust)
        } catch .network(let reason) {
            return try finishUnreachable(pending, reason: reason)
        }
        return try finish(pending, answer: answer)
    }

    /// The signed release request for `fileID` with this machine's activation with `url`.
    public static func prepare(
        url: ServerURL, fileID: String, directory: LicensingDirectory, now: Int64
    ) throws(ServerClientError) -> Pending {
        let activation = try ServerActivation.load(url, directory: directory)
        let nonce = RequestSignature.newNonce()
        let request = try ServerCall.signedRequest(
            url, path: "/v1/release", body: .object(["file_id": .string(fileID)]),
            key: try activation.signingKey(directory: directory), machineID: activation.machineID, now: now,
            nonce: nonce)
        return Pending(
            url: url, fileID: fileID, headers: request.headers, body: request.body, nonce: nonce,
            activation: activation, directory: directory, now: now)
    }

    /// The server answered: a refusal deletes the cached release; a release is verified (signature,
    /// nonce, file and machine), opened with the machine key and cached.
    public static func finish(_ pending: Pending, answer: PlainHTTP.Answer) throws(ServerClientError) -> Outcome {
        do {
            _ = try ServerCall.json(answer)
        } catch .refused(let status, let code, let message) {
            ClientFiles.remove(pending.cachePath)
            throw .refused(status: status, code: code, message: message)
        }
        var activation = pending.activation
        let release: KeyRelease
        do {
            release = try parse(answer.body, activation: activation, fileID: pending.fileID)
        } catch {
            activation = try rotated(activation, directory: pending.directory, failure: error)
            release = try parse(answer.body, activation: activation, fileID: pending.fileID)
        }
        guard release.lease.nonce == pending.nonce else {
            throw .protocolError("the lease answers another request (nonce)")
        }
        let key = try open(release, activation: activation, directory: pending.directory)
        try ClientFiles.write(answer.body, to: pending.cachePath)
        return Outcome(fileKey: key, lease: release.lease, note: nil)
    }

    /// After a lease that does not verify with the pinned signing key: the server's current key, pinned
    /// anew when a chain of rotation statements leads to it from the pinned key (docs/SERVER.md §Rotation);
    /// otherwise `failure`, or `.untrusted` for a key without such a chain.
    static func rotated(_ activation: ServerActivation, directory: LicensingDirectory, failure: ServerClientError)
        throws(ServerClientError) -> ServerActivation
    {
        let server = try ServerInfo.fetch(activation.url, trust: activation.trust)
        guard server.key != activation.serverKey else { throw failure }
        do {
            try KeyRotation.follow(from: activation.serverKey, to: server.key, chain: server.rotations)
        } catch {
            throw .untrusted(
                "\(error.description): refusing its leases. If the vendor replaced the server, remove "
                    + "\(ServerActivation.folder(activation.url, directory: directory)) and activate again")
        }
        let moved = activation.rotated(to: server.key)
        try moved.save(directory: directory)
        return moved
    }

    /// No answer (`reason`): the cached release within its lease's offline grace (`offline_until`), else `.network`.
    public static func finishUnreachable(_ pending: Pending, reason: String) throws(ServerClientError) -> Outcome {
        guard let bytes = ClientFiles.read(pending.cachePath) else {
            throw .network("\(reason); no cached lease for this file on this machine")
        }
        let release = try parse(bytes, activation: pending.activation, fileID: pending.fileID)
        guard pending.now < release.lease.graceEnd else {
            throw .network(
                "\(reason); the cached lease ran out at \(release.lease.graceEnd) (Unix time, the end of its offline "
                    + "grace)")
        }
        let key = try open(release, activation: pending.activation, directory: pending.directory)
        let minutes = (release.lease.graceEnd - pending.now + 59) / 60
        return Outcome(
            fileKey: key, lease: release.lease,
            note: "the key server is unreachable (\(reason)): using the cached lease, valid \(minutes) more minute(s)")
    }

    static func parse(_ bytes: [UInt8], activation: ServerActivation, fileID: String) throws(ServerClientError)
        -> KeyRelease
    {
        do {
            let release = try KeyRelease(json: try JSONParser.parse(bytes))
            guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: activation.serverKey) else {
                throw ServerProtocolError("the pinned server key is not an Ed25519 key")
            }
            try release.verify(serverKey: key, fileID: fileID, machineID: activation.machineID)
            return release
        } catch let error as ServerProtocolError {
            throw .protocolError(error.description)
        } catch {
            throw .protocolError("the release is not JSON")
        }
    }

    static func open(_ release: KeyRelease, activation: ServerActivation, directory: LicensingDirectory)
        throws(ServerClientError) -> [UInt8]
    {
        do {
            return try MachineKeyAccess.open(
                release.wrappedKey, info: KeyRelease.info, authenticating: release.lease.binding,
                vendorKeyID: activation.vendorKeyID, directory: directory)
        } catch .tpm(let reason) {
            throw .wrongMachine("cannot open the released key in the TPM: \(reason): it never falls back to software")
        } catch .wrongMachine(let reason) {
            throw .wrongMachine("cannot open the released key: \(reason)")
        } catch { throw .local("cannot open the released key with this machine's key: \(error)") }
    }
}
