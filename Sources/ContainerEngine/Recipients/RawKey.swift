import ContainerFormat
import Crypto

/// A long-lived 32-byte symmetric key (`MODEL_KEY`): both a recipient and an identity.
///
/// It never encrypts data itself: it keys HKDF with a fresh random salt and the label
/// `modelseal/v1 raw-key` to make a one-time wrap key (spec/CONTAINER.md §3, stanza `0x01`).
public struct RawKey: Recipient, Identity {
    static let scheme = SaltedKeyWrap(type: .rawKey, label: "modelseal/v1 raw-key")
    let key: SymmetricKey

    /// A key from exactly 32 bytes.
    public init(bytes: [UInt8]) throws(SealError) {
        guard bytes.count == 32 else { throw .invalidKey("a raw key is 32 bytes, got \(bytes.count)") }
        key = SymmetricKey(data: bytes)
    }

    /// A fresh random key.
    public static func generate() -> RawKey { RawKey(unchecked: SymmetricKey(size: .bits256)) }

    private init(unchecked key: SymmetricKey) { self.key = key }

    /// The key's bytes, for encoding it as text.
    public var bytes: [UInt8] { key.withUnsafeBytes { Array($0) } }

    public func wrap(_ fileKey: SymmetricKey) throws(SealError) -> Stanza {
        do {
            return try Self.scheme.wrap(fileKey, with: key)
        } catch {
            throw .invalidKey("cannot wrap the file key: \(error)")
        }
    }

    public func unwrap(_ stanzas: [Stanza]) throws(SealError) -> SymmetricKey? {
        Self.scheme.unwrap(stanzas, with: key)
    }
}

/// `count` bytes from the system CSPRNG.
func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
}
