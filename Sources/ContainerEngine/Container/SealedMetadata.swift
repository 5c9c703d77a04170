import ContainerFormat
import Crypto
import FoundationEssentials
import ModelSealCore

/// The sealed-metadata extension: a small encrypted key/value map (spec/CONTAINER.md §6.1).
///
/// Plaintext layout: `entry_count(2) || (key_length(1) key value_length(4) value)*`, keys
/// `[a-z0-9-]{1,64}` strictly increasing, values UTF-8 of at most 1 MiB.
public struct SealedMetadata: Sendable, Equatable {
    static let label = "modelseal/v1 sealed-metadata"
    static let maximumEntries = 256
    static let maximumKeyLength = 64
    static let maximumValueLength = 1 << 20
    private static let zeroNonce = [UInt8](repeating: 0, count: 12)

    /// Entries sorted by key.
    public private(set) var entries: [String: String]

    /// Metadata from a dictionary; keys must be `[a-z0-9-]{1,64}`.
    public init(_ entries: [String: String]) throws(SealError) {
        guard entries.count <= Self.maximumEntries else {
            throw .invalidKey("at most \(Self.maximumEntries) metadata entries")
        }
        for (key, value) in entries {
            guard Self.isValidKey(Array(key.utf8)) else {
                throw .invalidKey("metadata key '\(key)' is not [a-z0-9-]{1,64}")
            }
            guard value.utf8.count <= Self.maximumValueLength else {
                throw .invalidKey("metadata value of '\(key)' over 1 MiB")
            }
        }
        self.entries = entries
    }

    static func isValidKey(_ key: [UInt8]) -> Bool {
        (1...maximumKeyLength).contains(key.count)
            && key.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }
    }

    /// Canonical plaintext encoding.
    func encoded() -> [UInt8] {
        var writer = ByteWriter()
        writer.writeBigEndian(UInt16(entries.count))
        for key in entries.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            let value = Array(entries[key, default: ""].utf8)
            writer.writeUInt8(UInt8(key.utf8.count))
            writer.writeBytes(key.utf8)
            writer.writeBigEndian(UInt32(value.count))
            writer.writeBytes(value)
        }
        return writer.bytes
    }

    /// Parses the canonical plaintext encoding strictly.
    static func decode(_ bytes: [UInt8]) throws(SealError) -> SealedMetadata {
        func bad(_ reason: String) -> SealError { .malformedExtension(.sealedMetadata, reason: reason) }
        var reader = ByteReader(bytes)
        guard let count = reader.readBigEndian(UInt16.self), Int(count) <= maximumEntries else {
            throw bad("entry count missing or over \(maximumEntries)")
        }
        var entries: [String: String] = [:]
        var previous: [UInt8]? = nil
        for _ in 0..<Int(count) {
            guard let keyLength = reader.readUInt8(), let key = reader.readBytes(Int(keyLength)).map(Array.init),
                isValidKey(key)
            else { throw bad("invalid key") }
            if let previous, !previous.lexicographicallyPrecedes(key) { throw bad("keys out of order or repeated") }
            guard let valueLength = reader.readBigEndian(UInt32.self), Int(valueLength) <= maximumValueLength,
                let value = reader.readBytes(Int(valueLength))
            else { throw bad("value length over 1 MiB or past the end") }
            guard let text = String(validating: value, as: UTF8.self) else { throw bad("value is not UTF-8") }
            entries[String(decoding: key, as: UTF8.self)] = text
            previous = key
        }
        guard reader.isAtEnd else { throw bad("\(reader.remaining) bytes after the last entry") }
        return try SealedMetadata(entries)
    }

    /// The extension body: the encoding sealed under the metadata key.
    func sealed(with schedule: KeySchedule) throws(SealError) -> HeaderExtension {
        do {
            let box = try AES.GCM.seal(
                encoded(), using: schedule.metadataKey, nonce: AES.GCM.Nonce(data: Self.zeroNonce),
                authenticating: Array(Self.label.utf8))
            return HeaderExtension(type: .sealedMetadata, body: Array(box.ciphertext) + Array(box.tag))
        } catch {
            throw .invalidKey("cannot seal metadata: \(error)")
        }
    }

    /// Opens the extension body.
    static func open(_ body: [UInt8], with schedule: KeySchedule) throws(SealError) -> SealedMetadata {
        guard body.count >= SealedFormat.tagLength,
            let box = try? AES.GCM.SealedBox(
                nonce: AES.GCM.Nonce(data: zeroNonce), ciphertext: body.dropLast(SealedFormat.tagLength),
                tag: body.suffix(SealedFormat.tagLength)),
            let plaintext = try? AES.GCM.open(box, using: schedule.metadataKey, authenticating: Array(label.utf8))
        else { throw .extensionAuthenticationFailed(.sealedMetadata) }
        return try decode(Array(plaintext))
    }
}
