import Crypto
import ModelSealCore

/// A statement that the server's lease-signing key changed, signed by the key it replaces
/// (docs/SERVER.md §Rotation): canonical JSON `{"type": "modelseal-key-rotation", "version": 1,
/// "previous_key", "next_key", "at"}` (keys in base64). A client that pinned `previous_key` moves its
/// pin to `next_key` only through a chain of such statements that starts at its pinned key.
public struct KeyRotation: Sendable, Equatable {
    public let previousKey: [UInt8]
    public let nextKey: [UInt8]
    /// When the rotation was made (Unix seconds).
    public let at: Int64
    /// Ed25519 signature of `canonicalBytes` by `previousKey`.
    public let signature: [UInt8]

    public init(previousKey: [UInt8], nextKey: [UInt8], at: Int64, signature: [UInt8]) {
        self.previousKey = previousKey
        self.nextKey = nextKey
        self.at = at
        self.signature = signature
    }

    /// The statement that `next` replaces `previous`, signed by `previous`.
    public static func sign(
        previous: Curve25519.Signing.PrivateKey, next: Curve25519.Signing.PublicKey, at: Int64
    ) throws(ServerProtocolError) -> KeyRotation {
        let unsigned = KeyRotation(
            previousKey: Array(previous.publicKey.rawRepresentation), nextKey: Array(next.rawRepresentation), at: at,
            signature: [])
        guard let signature = try? previous.signature(for: unsigned.canonicalBytes) else {
            throw ServerProtocolError("cannot sign the key rotation")
        }
        return KeyRotation(
            previousKey: unsigned.previousKey, nextKey: unsigned.nextKey, at: at, signature: Array(signature))
    }

    /// The signed part.
    public var statement: JSONValue {
        .object([
            "type": .string("modelseal-key-rotation"), "version": .integer(1),
            "previous_key": .string(Base64.encode(previousKey)), "next_key": .string(Base64.encode(nextKey)),
            "at": .integer(at),
        ])
    }

    public var canonicalBytes: [UInt8] { JSONWriter.canonical(statement) ?? [] }

    /// The statement with its signature, as `GET /v1/server` lists it under `key_rotations`.
    public var json: JSONValue { .object(["statement": statement, "signature": .string(Base64.encode(signature))]) }

    public init(json value: JSONValue) throws(ServerProtocolError) {
        let statement = value["statement"]
        guard statement?["type"]?.stringValue == "modelseal-key-rotation", statement?["version"]?.intValue == 1,
            let previous = statement?["previous_key"]?.stringValue.flatMap({ Base64.decode($0) }), previous.count == 32,
            let next = statement?["next_key"]?.stringValue.flatMap({ Base64.decode($0) }), next.count == 32,
            let at = statement?["at"]?.int64Value,
            let signature = value["signature"]?.stringValue.flatMap({ Base64.decode($0) })
        else { throw ServerProtocolError("a key rotation statement is not a version 1 modelseal-key-rotation") }
        self.init(previousKey: previous, nextKey: next, at: at, signature: signature)
    }

    /// Whether `previousKey` signed this statement.
    public var isSigned: Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: previousKey) else { return false }
        return key.isValidSignature(signature, for: canonicalBytes)
    }

    /// Follows `chain` from the `pinned` key to `current`: each step must be signed by the key the walk
    /// has reached. Throws when no such chain leads to `current`.
    public static func follow(from pinned: [UInt8], to current: [UInt8], chain: [KeyRotation])
        throws(ServerProtocolError)
    {
        var reached = pinned
        var steps = 0
        while reached != current {
            guard steps < chain.count,
                let step = chain.first(where: { $0.previousKey == reached && $0.isSigned })
            else {
                throw ServerProtocolError(
                    "the server's signing key changed, and no rotation statement signed by the key pinned at "
                        + "activation leads to the new one")
            }
            reached = step.nextKey
            steps += 1
        }
    }
}
