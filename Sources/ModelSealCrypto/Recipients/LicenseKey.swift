import Crypto
import ModelSealFormat

/// A license key-encryption key (KEK): files sealed to it open for every holder of a license that
/// carries it (stanza `0x04`, FORMAT.md §3 and §12).
///
/// Like a raw key it never encrypts data itself: it keys HKDF with a fresh random salt and the
/// label `modelseal/v1 license`. The distinct type and label keep a license KEK and a raw key
/// (`MODEL_KEY`) from ever opening each other's stanzas, even if the same 32 bytes were used as both.
public struct LicenseKey: Recipient, Identity {
    static let label = "modelseal/v1 license"
    static let saltLength = 32
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
        let salt = randomBytes(Self.saltLength)
        do {
            let wrapped = try KeyWrap.wrap(fileKey, with: wrapKey(salt: salt[...]), label: Self.label)
            return Stanza(type: .license, body: salt + wrapped)
        } catch {
            throw .invalidKey("cannot wrap the file key to a license key: \(error)")
        }
    }

    public func unwrap(_ stanzas: [Stanza]) throws(SealError) -> SymmetricKey? {
        for stanza in stanzas where stanza.type == .license && stanza.body.count == 80 {
            let salt = stanza.body.prefix(Self.saltLength)
            if let fileKey = KeyWrap.unwrap(
                stanza.body.dropFirst(Self.saltLength), with: wrapKey(salt: salt), label: Self.label)
            {
                return fileKey
            }
        }
        return nil
    }

    private func wrapKey(salt: ArraySlice<UInt8>) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: key, salt: Array(salt), info: Array(Self.label.utf8), outputByteCount: 32)
    }
}
