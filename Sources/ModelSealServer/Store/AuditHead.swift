import Crypto
import ModelSealCore

/// The audit log's head: the last entry's sequence number and hash, signed by the server so that a
/// copy exported earlier proves a later rewrite (docs/SERVER.md §Audit).
public struct AuditHead: Sendable, Equatable {
    public let sequence: Int64
    public let hash: String
    public var signature: [UInt8] = []
    public var serverKey: String = ""

    public init(sequence: Int64, hash: String) {
        self.sequence = sequence
        self.hash = hash
    }

    var message: [UInt8] { Array("modelseal-audit-head-v1\n\(sequence)\n\(hash)".utf8) }

    public func signed(by keys: ServerKeys) throws -> AuditHead {
        var copy = self
        copy.signature = Array(try keys.signing.signature(for: message))
        copy.serverKey = keys.publicKeyText
        return copy
    }

    public var json: JSONValue {
        .object([
            "type": .string("modelseal-audit-head"), "seq": .integer(sequence), "hash": .string(hash),
            "server_key": .string(serverKey), "signature": .string(Base64.encode(signature)),
        ])
    }

    public init(json value: JSONValue) throws {
        guard value["type"]?.stringValue == "modelseal-audit-head", let sequence = value["seq"]?.int64Value,
            let hash = value["hash"]?.stringValue, let key = value["server_key"]?.stringValue,
            let signature = value["signature"]?.stringValue.flatMap({ Base64.decode($0) })
        else { throw StoreError.database("not an audit head file") }
        self.init(sequence: sequence, hash: hash)
        self.serverKey = key
        self.signature = signature
    }

    /// Walks the whole chain; `broken` is the first entry that does not verify, or the head's sequence
    /// number when `expected` is not on the chain or its signature is not this server's.
    public static func verifyChain(
        _ store: any ServerStore, expecting expected: AuditHead?, serverKey keys: ServerKeys
    ) async throws -> (count: Int64, head: AuditHead, broken: Int64?) {
        if let expected {
            guard
                keys.signedByThisServer(
                    keyText: expected.serverKey, signature: expected.signature, message: expected.message)
            else { return (0, AuditHead(sequence: 0, hash: AuditChain.genesis), expected.sequence) }
        }
        var previous = AuditChain.genesis
        var last: Int64 = 0
        var sawExpected = expected == nil
        while true {
            let page = try await store.audit(after: last, limit: 1000)
            if page.isEmpty { break }
            if let broken = AuditChain.firstBreak(page, previous: previous) {
                return (last, AuditHead(sequence: last, hash: previous), broken)
            }
            for entry in page where entry.sequence == expected?.sequence { sawExpected = entry.hash == expected?.hash }
            for (index, entry) in page.enumerated() where entry.sequence != last + 1 + Int64(index) {
                return (last, AuditHead(sequence: last, hash: previous), entry.sequence)
            }
            previous = page[page.count - 1].hash
            last = page[page.count - 1].sequence
        }
        return (last, AuditHead(sequence: last, hash: previous), sawExpected ? nil : (expected?.sequence ?? 0))
    }
}
