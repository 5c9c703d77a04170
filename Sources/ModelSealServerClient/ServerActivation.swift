import Crypto
import FoundationEssentials
import ModelSealCore
import ModelSealLicensing
import ModelSealServerProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// This machine's activation with one key server (docs/SERVER.md §Client), kept in the licensing folder
/// under `servers/<hash of the URL>/activation.json`, mode 0600: the server's pinned signing key, the
/// machine and license ids, and the request-signing key sealed to the machine key (so a copy of the
/// folder on another machine does not sign).
public struct ServerActivation: Sendable {
    static let signingInfo = Array("modelseal/v1 request-signing-key".utf8)

    public let url: ServerURL
    /// The server's Ed25519 key, pinned at activation (base64).
    public let serverKey: [UInt8]
    public let machineID: String
    public let licenseID: String
    let sealedSigningKey: [UInt8]

    /// The vendor key id the machine key is filed under: SHA-256 of the server key.
    public var vendorKeyID: [UInt8] { Array(SHA256.hash(data: serverKey)) }

    /// Where activations with `url` live.
    public static func folder(_ url: ServerURL, directory: LicensingDirectory) -> String {
        directory.path + "/servers/" + Hex.encode(SHA256.hash(data: Array(url.description.utf8)).prefix(12))
    }

    /// Activates with the token (read from a file by the caller): makes the machine key if missing, a
    /// new request-signing key, registers both, and saves the activation.
    public static func activate(
        url: ServerURL, token: String, label: String, directory: LicensingDirectory, now: Int64
    ) throws(ServerClientError) -> ServerActivation {
        let info = try ServerCall.json(try PlainHTTP.send("GET", url, path: "/v1/server"))
        guard let serverKey = info["server_key"]?.stringValue.flatMap({ Base64.decode($0) }), serverKey.count == 32
        else {
            throw .protocolError("GET /v1/server has no server_key")
        }
        if let earlier = try? load(url, directory: directory), earlier.serverKey != serverKey {
            throw .local(
                "the server at \(url) has another key than the one pinned at the earlier activation: if the vendor "
                    + "replaced the server, remove \(folder(url, directory: directory)) and activate again")
        }
        let vendorKeyID = Array(SHA256.hash(data: serverKey))
        let machineKey: [UInt8]
        do {
            machineKey = try MachineKeyAccess.publicKey(vendorKeyID: vendorKeyID, directory: directory, label: label)
        } catch { throw .local("cannot make this machine's key: \(error)") }
        let signing = Curve25519.Signing.PrivateKey()
        let sealed = try seal(Array(signing.rawRepresentation), to: machineKey, serverKey: serverKey)
        let body: JSONValue = .object([
            "token": .string(token), "machine_key": .string(Base64.encode(machineKey)),
            "signing_key": .string(Base64.encode(signing.publicKey.rawRepresentation)), "label": .string(label),
        ])
        let answer = try ServerCall.signed(
            url, path: "/v1/activate", body: body, key: signing, machineID: nil, now: now)
        guard let machineID = answer.value["machine_id"]?.stringValue,
            let licenseID = answer.value["license_id"]?.stringValue
        else { throw .protocolError("the activation answer has no machine_id") }
        let activation = ServerActivation(
            url: url, serverKey: serverKey, machineID: machineID, licenseID: licenseID, sealedSigningKey: sealed)
        try activation.save(directory: directory)
        return activation
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
                sealedSigningKey, info: Self.signingInfo, authenticating: serverKey, vendorKeyID: vendorKeyID,
                directory: directory)
            return try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        } catch { throw .local("cannot open the request-signing key on this machine: \(error)") }
    }

    var json: JSONValue {
        .object([
            "type": .string("modelseal-server-activation"), "version": .integer(1), "url": .string(url.description),
            "server_key": .string(Base64.encode(serverKey)), "machine_id": .string(machineID),
            "license_id": .string(licenseID), "sealed_signing_key": .string(Base64.encode(sealedSigningKey)),
        ])
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
        return ServerActivation(
            url: url, serverKey: key, machineID: machine, licenseID: license, sealedSigningKey: sealed)
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
