import ContainerFormat
import Crypto

/// A license key-encryption key (KEK): files sealed to it open for every holder of a license that
/// carries it (stanza `0x04`, spec/CONTAINER.md §3 and spec/LICENSING.md).
///
/// Like a raw key it never encrypts data itself (`SaltedKeyWrap`, label `modelseal/v1 license`). The
/// distinct type and label keep a license KEK and a raw key (`MODEL_KEY`) from ever opening each
/// other's stanzas, even if the same 32 bytes were used as both.
public struct LicenseKey: Recipient, Identity {
    static let scheme = SaltedKeyWrap(type: .license, label: "modelseal/v1 license")
    let key: SymmetricKey

    /// A key from exactly 32 bytes.
    public init(bytes: [UInt8]) throws(SealError) {
        guard bytes.count == 32 else { throw .invalidKey("a license key is 32 bytes, got \(bytes.count)") }
        key = SymmetricKey(data: bytes)
    }

    /// A fresh random key.
    public static func generate() -> LicenseKey { LicenseKey(unchecked: SymmetricKey(size: .bits256)) }

    private init(unchecked key: SymmetricKey) { self.key = key }

    /// The key's bytes, for wrapping it into a license.
    public var bytes: [UInt8] { key.withUnsafeBytes { Array($0) } }

    public func wrap(_ fileKey: SymmetricKey) throws(SealError) -> Stanza {
        do {
            return try Self.scheme.wrap(fileKey, with: key)
        } catch {
            throw .invalidKey("cannot wrap the file key to a license key: \(error)")
        }
    }

    public func unwrap(_ stanzas: [Stanza]) throws(SealError) -> SymmetricKey? {
        Self.scheme.unwrap(stanzas, with: key)
    }
}
