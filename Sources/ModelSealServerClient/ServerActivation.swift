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
/// TLS key, the machine and license ids, and the request-signing key sealed to the machine key (so a
/// copy of the folder on another machine does not sign).
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
    let sealedSigningKey: [UInt8]
    /// `https://` servers: hex SHA-256 of the TLS certificate's SubjectPublicKeyInfo (`tls_spki_sha256`).
    public let tlsKey: String?

    /// The vendor key id the machine key is filed under: SHA-256 of the server key at activation.
    public var vendorKeyID: [UInt8] { Array(SHA256.hash(data: activatedServerKey)) }

    /// How later connections check the server's TLS key: exactly the pinned one.
    public var trust: TLSTrust? { tlsKey.map { .pinned($0) } }

    /// Where activations with `url` live.
    public static func folder(_ url: ServerURL, directory: LicensingDirectory) -> String {
        directory.path + "/servers/" + Hex.encode(SHA256.hash(data: Array(url.description.utf8)).prefix(12))
    }

    /// Activates with the token (read from a file by the caller): makes the machine key if missing, a
    /// new request-signing key, registers both, and saves the activation with the server's keys pinned.
    /// `trust` checks an `https://` server's TLS key (trust on first use, a pin or a CA file).
    public static func activate(
        url: ServerURL, token: String, label: String, trust: TLSTrust = .firstUse, directory: LicensingDirectory,
        now: Int64
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
        let machineKey: [UInt8]
        do {
            machineKey = try MachineKeyAccess.publicKey(
                vendorKeyID: Array(SHA256.hash(data: activatedKey)), directory: directory, label: label)
        } catch { throw .local("cannot make this machine's key: \(error)") }
        let signing = Curve25519.Signing.PrivateKey()
        let sealed = try seal(Array(signing.rawRepresentation), to: machineKey, serverKey: activatedKey)
        let body: JSONValue = .object([
            "token": .string(token), "machine_key": .string(Base64.encode(machineKey)),
            "signing_key": .string(Base64.encode(signing.publicKey.rawRepresentation)), "label": .string(label),
        ])
        let answer = try ServerCall.signed(
            url, path: "/v1/activate", body: body, key: signing, machineID: nil, now: now,
            trust: server.tlsKey.map { .pinned($0) })
        guard let machineID = answer.value["machine_id"]?.stringValue,
            let licenseID = answer.value["license_id"]?.stringValue
        else { throw .protocolError("the activation answer has no machine_id") }
        let activation = ServerActivation(
            url: url, serverKey: server.key, activatedServerKey: activatedKey, machineID: machineID,
            licenseID: licenseID, sealedSigningKey: sealed, tlsKey: server.tlsKey)
        try activation.save(directory: directory)
        return activation
    }

    /// This activation with the pin moved to `key` (after a verified rotation chain).
    func rotated(to key: [UInt8]) -> ServerActivation {
        ServerActivation(
            url: url, serverKey: key, activatedServerKey: activatedServerKey, machineID: machineID,
            licenseID: licenseID, sealedSigningKey: sealedSigningKey, tlsKey: tlsKey)
    }

    static func seal(_ secret: [UInt8], to machineKey: [UInt8], serverKey: [UInt8]) throws(ServerClientError) -> [UInt8]
    {
        do {
            let recipient = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: machineKey)
            var sender = try HPKE.Sender(
                recipientKey: recipient,
                ciphersuite: HPKE.Ciphersuite(kem: .Curve25519_HKDF_SHA256, kdf: .HKDF_SHA256, aead: .AES_GCM_256),
                info: Data(signingInfo))
            return Array(sender.encapsulatedKey) + Array(try sender.seal(Data(secret), authenticating: Data(serverKey)))
        } catch { throw .local("cannot seal the request-signing key: \(error)") }
    }

    /// The request-signing key, opened with this machine's key.
    func signingKey(directory: LicensingDirectory) throws(ServerClientError) -> Curve25519.Signing.PrivateKey {
        do {
            let seed = try MachineKeyAccess.open(
                sealedSigningKey, info: Self.signingInfo, authenticating: activatedServerKey, vendorKeyID: vendorKeyID,
                directory: directory)
            return try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        } catch { throw .local("cannot open the request-signing key on this machine: \(error)") }
    }

    var json: JSONValue {
        var fields: JSONObject = [
            "type": .string("modelseal-server-activation"), "version": .integer(1), "url": .string(url.description),
            "server_key": .string(Base64.encode(serverKey)), "machine_id": .string(machineID),
            "license_id": .string(licenseID), "sealed_signing_key": .string(Base64.encode(sealedSigningKey)),
        ]
        if activatedServerKey != serverKey {
            fields.append(("activated_server_key", .string(Base64.encode(activatedServerKey))))
        }
        if let tlsKey { fields.append(("tls_spki_sha256", .string(tlsKey))) }
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
        guard let value = try? JSONParser.parse(bytes), value["type"]?.stringValue == "modelseal-server-activation",
            let key = value["server_key"]?.stringValue.flatMap({ Base64.decode($0) }), key.count == 32,
            let machine = value["machine_id"]?.stringValue, let license = value["license_id"]?.stringValue,
            let sealed = value["sealed_signing_key"]?.stringValue.flatMap({ Base64.decode($0) })
        else { throw .local("\(path) is not an activation file: remove it and activate again") }
        let activated = value["activated_server_key"]?.stringValue.flatMap({ Base64.decode($0) }) ?? key
        let tlsKey = value["tls_spki_sha256"]?.stringValue
        if url.isTLS && tlsKey.map({ $0.count != 64 }) ?? true {
            throw .local("\(path) pins no TLS key for \(url): remove it and activate again")
        }
        return ServerActivation(
            url: url, serverKey: key, activatedServerKey: activated, machineID: machine, licenseID: license,
            sealedSigningKey: sealed, tlsKey: tlsKey)
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
