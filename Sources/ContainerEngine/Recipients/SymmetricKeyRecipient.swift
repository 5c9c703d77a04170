import ContainerFormat
import Crypto

/// A long-lived 32-byte key that never encrypts data itself but wraps file keys with its own
/// `SaltedKeyWrap` scheme: `RawKey` and `LicenseKey`, both a recipient and an identity.
public protocol SymmetricKeyRecipient: Recipient, Identity {
    /// The stanza type and label that keep this kind of key apart from the others.
    static var scheme: SaltedKeyWrap { get }
    /// What the key is called in errors ("raw key").
    static var keyName: String { get }
    /// The key.
    var key: SymmetricKey { get }
    /// Wraps a 32-byte key.
    init(validated key: SymmetricKey)
}

extension SymmetricKeyRecipient {
    /// A key from exactly 32 bytes.
    public init(bytes: [UInt8]) throws(SealError) {
        guard bytes.count == 32 else { throw .invalidKey("a \(Self.keyName) is 32 bytes, got \(bytes.count)") }
        self.init(validated: SymmetricKey(data: bytes))
    }

    /// A fresh random key.
    public static func generate() -> Self { Self(validated: SymmetricKey(size: .bits256)) }

    /// The key's bytes, for encoding it as text or wrapping it into a license.
    public var bytes: [UInt8] { key.withUnsafeBytes { Array($0) } }

    public func wrap(_ fileKey: SymmetricKey) throws(SealError) -> Stanza {
        do {
            return try Self.scheme.wrap(fileKey, with: key)
        } catch {
            throw .invalidKey("cannot wrap the file key to a \(Self.keyName): \(error)")
        }
    }

    public func unwrap(_ stanzas: [Stanza]) throws(SealError) -> SymmetricKey? {
        Self.scheme.unwrap(stanzas, with: key)
    }
}
