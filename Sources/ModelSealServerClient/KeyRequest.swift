import Crypto
import ModelSealCore
import ModelSealLicensing
import ModelSealServerProtocol

/// Getting a version's file key from the key server (docs/SERVER.md §Client): ask whenever the server
/// answers; reuse the cached release only when it does not answer at all (a network error) and only
/// until its lease's `expires_at`; any refusal deletes the cached release.
public enum KeyRequest {
    /// The file key and, when the cache was used, a note for the user saying so.
    public struct Outcome: Sendable {
        public let fileKey: [UInt8]
        public let lease: Lease
        public let note: String?
    }

    public static func fileKey(
        url: ServerURL, fileID: String, directory: LicensingDirectory, now: Int64
    ) throws(ServerClientError) -> Outcome {
        var activation = try ServerActivation.load(url, directory: directory)
        let cachePath = ServerActivation.folder(url, directory: directory) + "/leases/" + fileID + ".json"
        let nonce = RequestSignature.newNonce()
        let answer: [UInt8]
        do {
            answer = try ServerCall.signed(
                url, path: "/v1/release", body: .object(["file_id": .string(fileID)]),
                key: try activation.signingKey(directory: directory), machineID: activation.machineID, now: now,
                nonce: nonce, trust: activation.trust
            ).bytes
        } catch .network(let reason) {
            return try cached(
                cachePath, activation: activation, fileID: fileID, directory: directory, now: now, reason: reason)
        } catch .refused(let status, let code, let message) {
            ClientFiles.remove(cachePath)
            throw .refused(status: status, code: code, message: message)
        }
        let release: KeyRelease
        do {
            release = try parse(answer, activation: activation, fileID: fileID)
        } catch {
            activation = try rotated(activation, directory: directory, failure: error)
            release = try parse(answer, activation: activation, fileID: fileID)
        }
        guard release.lease.nonce == nonce else { throw .protocolError("the lease answers another request (nonce)") }
        let key = try open(release, activation: activation, directory: directory)
        try ClientFiles.write(answer, to: cachePath)
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

    static func cached(
        _ path: String, activation: ServerActivation, fileID: String, directory: LicensingDirectory, now: Int64,
        reason: String
    ) throws(ServerClientError) -> Outcome {
        guard let bytes = ClientFiles.read(path) else {
            throw .network("\(reason); no cached lease for this file on this machine")
        }
        let release = try parse(bytes, activation: activation, fileID: fileID)
        guard now < release.lease.expiresAt else {
            throw .network("\(reason); the cached lease ran out at \(release.lease.expiresAt) (Unix time)")
        }
        let key = try open(release, activation: activation, directory: directory)
        let minutes = (release.lease.expiresAt - now + 59) / 60
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
        } catch { throw .local("cannot open the released key with this machine's key: \(error)") }
    }
}
