import Crypto
import FoundationEssentials
import ModelSealCore
import ModelSealLicensing
import ModelSealServerProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// This machine's activation with one key server (docs/SERVER.md §Client), kept in the licensing folder
/// under `servers/<hash of the URL>/activation.json`, mode 0600: the server's pinned signing key and
/// TLS key, the machine and license ids, and the request-signing key: an Ed25519 key sealed to a software
/// machine key (so a copy of the folder on another machine does not sign), or, when the machine key is in a
/// TPM, an ECDSA P-256 key in the same TPM of which only the template's unique value is kept (§TPM).
public struct ServerActivation: Sendable {
    static let signingInfo = Array("modelseal/v1 request-signing-key".utf8)

    public let url: ServerURL
    /// The server's Ed25519 lease-signing key, pinned at activation and moved only along a signed
    /// rotation chain (`KeyRotation`).
    public let serverKey: [UInt8]
    /// The signing key at the first activation: the machine key is filed under its hash and the
    /// request-signing key sealed with it (`activated_server_key`, absent when it is `serverKey`).
    public let activatedServerKey: [UInt8]
    public let machineID: String
    public let licenseID: String
    /// The machine key's KEM as registered (`machine_kem`; `p256`: the key is in this machine's TPM).
    public let machineKEM: ReleaseKEM
    let signer: StoredSigner
    /// `https://` servers: hex SHA-256 of the TLS certificate's SubjectPublicKeyInfo (`tls_spki_sha256`).
    public let tlsKey: String?
    /// When the server recorded the machine key as attested in a TPM (`attested_at`, §TPM); nil: not attested.
    public var attestedAt: Int64? = nil

    /// The vendor key id the machine key is filed under: SHA-256 of the server key at activation.
    public var vendorKeyID: [UInt8] { Array(SHA256.hash(data: activatedServerKey)) }

    /// How later connections check the server's TLS key: exactly the pinned one.
    public var trust: TLSTrust? { tlsKey.map { .pinned($0) } }

    /// The request-signing key's algorithm.
    public var signingAlgorithm: RequestSigningAlgorithm { signer.algorithm }

    /// Where activations with `url` live.
    public static func folder(_ url: ServerURL, directory: LicensingDirectory) -> String {
        directory.path + "/servers/" + Hex.encode(SHA256.hash(data: Array(url.description.utf8)).prefix(12))
    }

    /// Activates with the token (read from a file by the caller): makes the machine key if missing, a
    /// new request-signing key, registers both, and saves the activation with the server's keys pinned.
    /// `trust` checks an `https://` server's TLS key (trust on first use, a pin or a CA file). `tpm`: true makes
    /// a new machine key in the TPM (`MODELSEAL_TPM_TCTI`, else the system's), false in software, nil in the TPM
    /// when one answers; an existing machine key is kept, and must be of the kind asked for.
    public static func activate(
        url: ServerURL, token: String, label: String, trust: TLSTrust = .firstUse, directory: LicensingDirectory,
        now: Int64, tpm: Bool? = nil
    ) throws(ServerClientError) -> ServerActivation {
        let earlier = try? load(url, directory: directory)
        var trust = trust
        if trust == .firstUse, let pinned = earlier?.tlsKey { trust = .pinned(pinned) }
        let server = try ServerInfo.fetch(url, trust: trust)
        if let earlier, earlier.serverKey != server.key {
            do {
                try KeyRotation.follow(from: earlier.serverKey, to: server.key, chain: server.rotations)
            } catch {
                throw .untrusted(
                    "the server at \(url) has another signing key than the one pinned at the earlier activation, with "
                        + "no rotation chain from it: if the vendor replaced the server, remove "
                        + "\(folder(url, directory: directory)) and activate again")
            }
        }
        let activatedKey = earlier?.activatedServerKey ?? server.key
        let keys = try ActivationKeys.make(serverKey: activatedKey, directory: directory, label: label, tpm: tpm)
        var body: JSONObject = [
            "token": .string(token), "machine_key": .string(Base64.encode(keys.machineKey)),
            "machine_kem": .string(keys.kem.rawValue), "signing_key": .string(Base64.encode(keys.signingPublicKey)),
            "signing_algorithm": .string(keys.signer.algorithm.rawValue), "label": .string(label),
        ]
        if let evidence = keys.attestationJSON { body.append(("tpm_attestation", evidence)) }
        let pinned = server.tlsKey.map { TLSTrust.pinned($0) }
        let answer = try ServerCall.signed(
            url, path: "/v1/activate", body: .object(body), key: keys.signer, machineID: nil, now: now, trust: pinned)
        guard let machineID = answer.value["machine_id"]?.stringValue,
            let licenseID = answer.value["license_id"]?.stringValue
        else { throw .protocolError("the activation answer has no machine_id") }
        var activation = ServerActivation(
            url: url, serverKey: server.key, activatedServerKey: activatedKey, machineID: machineID,
            licenseID: licenseID, machineKEM: keys.kem, signer: keys.stored, tlsKey: server.tlsKey)
        activation.attestedAt =
            try keys.attest(
                answer.value, url: url, machineID: machineID, serverKey: activatedKey, directory: directory, now: now,
                trust: pinned) ?? earlier?.attestedAt
        try activation.save(directory: directory)
        return activation
    }

    /// This activation with the pin moved to `key` (after a verified rotation chain).
    func rotated(to key: [UInt8]) -> ServerActivation {
        var moved = ServerActivation(
            url: url, serverKey: key, activatedServerKey: activatedServerKey, machineID: machineID,
            licenseID: licenseID, machineKEM: machineKEM, signer: signer, tlsKey: tlsKey)
        moved.attestedAt = attestedAt
        return moved
    }

    /// The request-signing key: the Ed25519 key opened with this machine's key, or the TPM's signing key (the
    /// TPM `MODELSEAL_TPM_TCTI` names, else the system's; never a software fallback).
    func signingKey(directory: LicensingDirectory) throws(ServerClientError) -> any RequestSigningKey {
        switch signer {
        case .sealedEd25519(let sealed):
            do {
                let seed = try MachineKeyAccess.open(
                    sealed, info: Self.signingInfo, authenticating: activatedServerKey, vendorKeyID: vendorKeyID,
                    directory: directory)
                return try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
            } catch { throw .local("cannot open the request-signing key on this machine: \(error)") }
        case .tpm(let key):
            do {
                return TPMRequestSigner(key: key, connection: try TPMConnection())
            } catch {
                throw .wrongMachine(
                    "this machine's request-signing key is in a TPM, which cannot be reached (\(error)): it never "
                        + "falls back to software")
            }
        }
    }

    var json: JSONValue {
        var fields: JSONObject = [
            "type": .string("modelseal-server-activation"), "version": .integer(1), "url": .string(url.description),
            "server_key": .string(Base64.encode(serverKey)), "machine_id": .string(machineID),
            "license_id": .string(licenseID), "machine_kem": .string(machineKEM.rawValue),
        ]
        for member in signer.json { fields.append(member) }
        if activatedServerKey != serverKey {
            fields.append(("activated_server_key", .string(Base64.encode(activatedServerKey))))
        }
        if let tlsKey { fields.append(("tls_spki_sha256", .string(tlsKey))) }
        if let attestedAt { fields.append(("attested_at", .integer(attestedAt))) }
        return .object(fields)
    }

    func save(directory: LicensingDirectory) throws(ServerClientError) {
        let folder = Self.folder(url, directory: directory)
        try ClientFiles.write(
            Array(JSONWriter.serialize(json, pretty: true).utf8) + [0x0A], to: folder + "/activation.json")
    }

    /// The saved activation with `url`.
    public static func load(_ url: ServerURL, directory: LicensingDirectory) throws(ServerClientError)
        -> ServerActivation
    {
        let path = folder(url, directory: directory) + "/activation.json"
        guard let bytes = ClientFiles.read(path) else {
            throw .notActivated(
                "this machine has not activated with \(url) (no \(path)): run `modelseal activate --server \(url) "
                    + "--token-file FILE` with the token the vendor sent")
        }
        let broken = ServerClientError.local("\(path) is not an activation file: remove it and activate again")
        guard let value = try? JSONParser.parse(bytes), value["type"]?.stringValue == "modelseal-server-activation",
            let key = value["server_key"]?.stringValue.flatMap({ Base64.decode($0) }), key.count == 32,
            let machine = value["machine_id"]?.stringValue, let license = value["license_id"]?.stringValue,
            let kem = ReleaseKEM(rawValue: value["machine_kem"]?.stringValue ?? ReleaseKEM.x25519.rawValue),
            let signer = StoredSigner(json: value)
        else { throw broken }
        let activated = value["activated_server_key"]?.stringValue.flatMap({ Base64.decode($0) }) ?? key
        let tlsKey = value["tls_spki_sha256"]?.stringValue
        if url.isTLS && tlsKey.map({ $0.count != 64 }) ?? true {
            throw .local("\(path) pins no TLS key for \(url): remove it and activate again")
        }
        var activation = ServerActivation(
            url: url, serverKey: key, activatedServerKey: activated, machineID: machine, licenseID: license,
            machineKEM: kem, signer: signer, tlsKey: tlsKey)
        activation.attestedAt = value["attested_at"]?.int64Value
        return activation
    }
}

/// What `GET /v1/server` says: the signing key, its rotation statements and the TLS key it came over.
struct ServerInfo {
    let key: [UInt8]
    let rotations: [KeyRotation]
    let tlsKey: String?

    static func fetch(_ url: ServerURL, trust: TLSTrust?) throws(ServerClientError) -> ServerInfo {
        let answer = try PlainHTTP.send("GET", url, path: "/v1/server", trust: trust)
        let info = try ServerCall.json(answer)
        guard let key = info["server_key"]?.stringValue.flatMap({ Base64.decode($0) }), key.count == 32 else {
            throw .protocolError("GET /v1/server has no server_key")
        }
        var rotations: [KeyRotation] = []
        for item in info["key_rotations"]?.arrayValue ?? [] {
            do {
                rotations.append(try KeyRotation(json: item))
            } catch { throw .protocolError(error.description) }
        }
        return ServerInfo(key: key, rotations: rotations, tlsKey: answer.tlsKey)
    }
}

/// The client's small files: folders 0700, files 0600 written whole and linked into place.
enum ClientFiles {
    static func write(_ bytes: [UInt8], to path: String) throws(ServerClientError) {
        makeDirectories(String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]))
        do {
            let output = try OutputFile(.path(path), mode: 0o600, replace: true)
            try output.write(bytes)
            try output.commit()
        } catch { throw .local("cannot write \(path): \(error)") }
    }

    static func read(_ path: String) -> [UInt8]? { try? SmallFile.read(path, limit: 1 << 20) }

    static func remove(_ path: String) { unlink(path) }

    static func makeDirectories(_ path: String) {
        guard !path.isEmpty else { return }
        var index = path.index(after: path.startIndex)
        while let slash = path[index...].firstIndex(of: "/") {
            mkdir(String(path[..<slash]), 0o700)
            index = path.index(after: slash)
        }
        mkdir(path, 0o700)
    }
}
