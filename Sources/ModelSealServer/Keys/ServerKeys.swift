import ContainerEngine
import ContainerFormat
import Crypto
import FoundationEssentials
import ModelSealCore
import ModelSealServerProtocol

/// The server's secrets (docs/SERVER.md §Keys): the master key that wraps every file key and the
/// server's own Ed25519 signing key (itself stored wrapped in the database), which signs leases and
/// the audit head and which clients pin at activation.
public struct ServerKeys: Sendable {
    /// Environment variable holding the master key (base64 of 32 bytes, or a `pkcs11:` URI) instead of a key file.
    public static let masterKeyVariable = "MODELSEAL_SERVER_MASTER_KEY"

    /// The settings sealed under the master key (each labelled by its name): the signing and intake keys'
    /// seeds and the signing-key rotation statements (KeyRotationStore). A master-key rotation re-wraps
    /// exactly these and every version's file key; a setting added later under the master key belongs here.
    static let wrappedSettings = ["signing_key", "intake_key", KeyRotationStore.setting]

    let master: MasterKey
    /// Signs leases and the audit head.
    public let signing: Curve25519.Signing.PrivateKey
    /// The X25519 key vendors wrap a version's file key to when they add it (`admin model add`), so the
    /// key never crosses the admin API in clear.
    let intake: X25519Identity
    /// The signing keys this one replaced, each statement signed by the key it replaced, oldest first
    /// (docs/SERVER.md §Rotation); stored under the master key, served at `GET /v1/server`.
    public let rotations: [KeyRotation]

    init(
        master: MasterKey, signing: Curve25519.Signing.PrivateKey, intake: X25519Identity,
        rotations: [KeyRotation] = []
    ) {
        self.master = master
        self.signing = signing
        self.intake = intake
        self.rotations = rotations
    }

    /// Whether `signature` over `message` is by the key `keyText` (base64) and that key is this server's
    /// signing key or one it replaced.
    public func signedByThisServer(keyText: String, signature: [UInt8], message: [UInt8]) -> Bool {
        let known = [Array(signing.publicKey.rawRepresentation)] + rotations.map(\.previousKey)
        guard let raw = Base64.decode(keyText), known.contains(raw),
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
        else { return false }
        return key.isValidSignature(signature, for: message)
    }

    /// The intake public key in base64.
    public var intakeKeyText: String { Base64.encode(intake.recipient.rawRepresentation) }

    /// The public key clients pin, in base64.
    public var publicKeyText: String { Base64.encode(signing.publicKey.rawRepresentation) }

    /// What clients use as the vendor key id of their machine key: SHA-256 of the signing public key.
    public var vendorKeyID: [UInt8] { Array(SHA256.hash(data: signing.publicKey.rawRepresentation)) }

    /// Loads the server's keys: the master key from `masterKeyFile` (a file or a `pkcs11:` URI, opened with
    /// the module `pkcs11Module` names) or the environment, else from (or made into) `defaultFile`; the signing
    /// key from the store, made on first start.
    static func load(
        store: any ServerStore, masterKeyFile: String?, pkcs11Module: String? = nil, defaultFile: String?
    ) async throws -> ServerKeys {
        let master = try MasterKeySource.load(
            reference: masterKeyFile, pkcs11Module: pkcs11Module, defaultFile: defaultFile)
        let signingSeed = try await secret("signing_key", store: store, master: master)
        let intakeSeed = try await secret("intake_key", store: store, master: master)
        guard let signing = try? Curve25519.Signing.PrivateKey(rawRepresentation: signingSeed),
            let intake = try? X25519Identity(rawRepresentation: intakeSeed)
        else { throw StoreError.database("the stored server keys are not 32-byte keys") }
        let rotations = try await KeyRotationStore.load(store: store, master: master)
        return ServerKeys(master: master, signing: signing, intake: intake, rotations: rotations)
    }

    /// A 32-byte secret kept in the settings table under the master key, made by the first server.
    static func secret(_ name: String, store: any ServerStore, master: MasterKey) async throws -> [UInt8] {
        let fresh = try master.wrap(Identifier.random(32), label: name)
        return try master.unwrap(try await store.initializeSetting(name, value: fresh), label: name)
    }

    /// The file key in a stanza wrapped to the intake key, or `nil` when it does not open.
    func openIntake(_ body: [UInt8]) -> [UInt8]? {
        guard let key = try? intake.unwrap([Stanza(type: .x25519HPKE, body: body)]) else { return nil }
        return key.withUnsafeBytes { Array($0) }
    }

    /// A file key wrapped for the database.
    func wrap(fileKey: [UInt8], fileID: String) throws -> [UInt8] {
        try master.wrap(fileKey, label: "file-key " + fileID)
    }

    /// A file key from the database.
    func unwrap(_ wrapped: [UInt8], fileID: String) throws -> [UInt8] {
        try master.unwrap(wrapped, label: "file-key " + fileID)
    }
}
