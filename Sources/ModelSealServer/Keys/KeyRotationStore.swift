import Crypto
import ModelSealCore
import ModelSealServerProtocol

/// Rotation of the server's lease-signing key (docs/SERVER.md §Rotation): a new Ed25519 key replaces
/// the current one together with a statement signed by the current one, appended to the list of
/// statements (setting `signing_key_rotations`, JSON under the master key so that a database writer
/// cannot add a key of its own). Clients that pinned an earlier key follow the statements to the new one.
public enum KeyRotationStore {
    static let setting = "signing_key_rotations"

    /// The stored statements, oldest first (none before the first rotation).
    static func load(store: any ServerStore, master: MasterKey) async throws -> [KeyRotation] {
        guard let wrapped = try await store.setting(setting) else { return [] }
        let bytes = try master.unwrap(wrapped, label: setting)
        guard let items = (try? JSONParser.parse(bytes))?.arrayValue else {
            throw StoreError.database("the stored signing-key rotations are not a JSON list")
        }
        var rotations: [KeyRotation] = []
        for item in items {
            do {
                rotations.append(try KeyRotation(json: item))
            } catch { throw StoreError.database("a stored signing-key rotation is unreadable: \(error)") }
        }
        return rotations
    }

    /// Replaces the signing key of the database behind `keys` with a new one and records the statement
    /// signed by the old key, in one transaction. Running servers keep the old key until restarted.
    public static func rotate(store: any ServerStore, keys: ServerKeys, actor: String, now: Int64) async throws
        -> KeyRotation
    {
        let next = Curve25519.Signing.PrivateKey()
        let rotation = try KeyRotation.sign(previous: keys.signing, next: next.publicKey, at: now)
        let list = JSONValue.array((keys.rotations + [rotation]).map(\.json))
        guard let current = try await store.setting("signing_key") else {
            throw StoreError.database("the database has no signing key yet: start the server once")
        }
        guard
            try keys.master.unwrap(current, label: "signing_key")
                == Array(keys.signing.rawRepresentation)
        else {
            throw StoreError.conflict(
                "the signing key changed since these keys were loaded (another rotation?): load them again and retry")
        }
        try await store.replaceSettings(
            [
                "signing_key": try keys.master.wrap(Array(next.rawRepresentation), label: "signing_key"),
                setting: try keys.master.wrap(Array(JSONWriter.serialize(list).utf8), label: setting),
            ], whileSetting: "signing_key", holds: current, actor: actor, action: "server.signing_key.rotate", now: now)
        return rotation
    }
}
