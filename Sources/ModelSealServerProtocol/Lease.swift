import Crypto
import FoundationEssentials
import ModelSealCore

/// What the server states with a key release, signed with its Ed25519 key (docs/SERVER.md §Protocol):
/// which machine of which license got which version's key for which request nonce, and until when the
/// client may reuse that release without asking again (only after a network error, never a refusal).
public struct Lease: Sendable, Equatable {
    public let licenseID: String
    public let machineID: String
    /// The version: hex SHA-256 of the sealed file's header.
    public let fileID: String
    /// The request nonce the key was released for.
    public let nonce: String
    public let issuedAt: Int64
    /// The end of the lease's TTL (for a floating license, of the machine's seat unless renewed).
    public let expiresAt: Int64
    /// The end of the offline grace: a cached release is used after a network error until then, never after.
    /// Absent in leases of servers before the policies: `expiresAt` is the grace's end then.
    public let offlineUntil: Int64?

    public init(
        licenseID: String, machineID: String, fileID: String, nonce: String, issuedAt: Int64, expiresAt: Int64,
        offlineUntil: Int64? = nil
    ) {
        self.licenseID = licenseID
        self.machineID = machineID
        self.fileID = fileID
        self.nonce = nonce
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.offlineUntil = offlineUntil
    }

    /// Until when a cached copy of this release may be used after a network error.
    public var graceEnd: Int64 { offlineUntil ?? expiresAt }

    /// The JSON object (canonical bytes are what is signed).
    public var json: JSONValue {
        var members: JSONObject = [
            ("type", .string("modelseal-lease")), ("version", .integer(1)), ("license_id", .string(licenseID)),
            ("machine_id", .string(machineID)), ("file_id", .string(fileID)), ("nonce", .string(nonce)),
            ("issued_at", .integer(issuedAt)), ("expires_at", .integer(expiresAt)),
        ]
        if let offlineUntil { members.append(("offline_until", .integer(offlineUntil))) }
        return .object(members)
    }

    /// The signed bytes.
    public var canonicalBytes: [UInt8] { JSONWriter.canonical(json) ?? [] }

    /// A lease read from JSON.
    public init(json value: JSONValue) throws(ServerProtocolError) {
        guard value["type"]?.stringValue == "modelseal-lease", value["version"]?.intValue == 1,
            let license = value["license_id"]?.stringValue, let machine = value["machine_id"]?.stringValue,
            let file = value["file_id"]?.stringValue, let nonce = value["nonce"]?.stringValue,
            let issued = value["issued_at"]?.int64Value, let expires = value["expires_at"]?.int64Value
        else { throw ServerProtocolError("the lease is not a version 1 modelseal lease") }
        let offline = value["offline_until"]
        guard offline == nil || offline?.int64Value != nil else {
            throw ServerProtocolError("the lease's offline_until is not an integer")
        }
        self.init(
            licenseID: license, machineID: machine, fileID: file, nonce: nonce, issuedAt: issued, expiresAt: expires,
            offlineUntil: offline?.int64Value)
    }

    /// The fingerprint that binds a wrapped key to this lease (HPKE associated data).
    public var binding: [UInt8] { Array(SHA256.hash(data: canonicalBytes)) }
}

/// A key release as sent on the wire: the signed lease and the file key HPKE-sealed to the machine key.
public struct KeyRelease: Sendable, Equatable {
    /// HPKE `info` of the wrapped file key.
    public static let info = Array("modelseal/v1 server-release".utf8)

    public let lease: Lease
    /// Ed25519 signature of `lease.canonicalBytes` by the server.
    public let signature: [UInt8]
    /// `encapsulated key (32 for X25519, 65 for P-256) || AES-256-GCM(file key) (48)`, associated data
    /// `lease.binding`.
    public let wrappedKey: [UInt8]

    /// Signs `lease` and wraps `fileKey` to `machineKey`, a key of `kem`.
    public static func make(
        lease: Lease, fileKey: [UInt8], machineKey: [UInt8], kem: ReleaseKEM = .x25519,
        serverKey: Curve25519.Signing.PrivateKey
    ) throws(ServerProtocolError) -> KeyRelease {
        do {
            let wrapped = try kem.seal(fileKey, to: machineKey, info: info, authenticating: lease.binding)
            let signature = try serverKey.signature(for: lease.canonicalBytes)
            return KeyRelease(lease: lease, signature: Array(signature), wrappedKey: wrapped)
        } catch {
            throw ServerProtocolError("cannot make the release: \(error)")
        }
    }

    public init(lease: Lease, signature: [UInt8], wrappedKey: [UInt8]) {
        self.lease = lease
        self.signature = signature
        self.wrappedKey = wrappedKey
    }

    public var json: JSONValue {
        .object([
            "lease": lease.json, "signature": .string(Base64.encode(signature)),
            "wrapped_key": .string(Base64.encode(wrappedKey)),
        ])
    }

    public init(json value: JSONValue) throws(ServerProtocolError) {
        guard let leaseValue = value["lease"],
            let signature = value["signature"]?.stringValue.flatMap({ Base64.decode($0) }),
            let wrapped = value["wrapped_key"]?.stringValue.flatMap({ Base64.decode($0) }),
            ReleaseKEM.allCases.contains(where: { wrapped.count == $0.publicKeyLength + 48 })
        else { throw ServerProtocolError("the release is missing its lease, signature or wrapped key") }
        self.init(lease: try Lease(json: leaseValue), signature: signature, wrappedKey: wrapped)
    }

    /// Checks the server's signature and that the lease answers this request.
    public func verify(
        serverKey: Curve25519.Signing.PublicKey, fileID: String, machineID: String
    ) throws(ServerProtocolError) {
        guard serverKey.isValidSignature(signature, for: lease.canonicalBytes) else {
            throw ServerProtocolError("the lease's signature does not verify with the server key pinned at activation")
        }
        guard lease.fileID == fileID, lease.machineID == machineID else {
            throw ServerProtocolError("the lease is for another file or machine")
        }
    }
}
