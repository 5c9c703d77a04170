import Crypto
import ModelSealFormat

/// A long-lived 32-byte symmetric key (`MODEL_KEY`): both a recipient and an identity.
///
/// It never encrypts data itself: it keys HKDF with a fresh random salt and the label
/// `modelseal/v1 raw-key` to make a one-time wrap key (FORMAT.md §3, stanza `0x01`).
public struct RawKey: Recipient, Identity {
    static let label = "modelseal/v1 raw-key"
    static let saltLength = 32
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
        let salt = randomBytes(Self.saltLength)
        do {
            let wrapped = try KeyWrap.wrap(fileKey, with: wrapKey(salt: salt[...]), label: Self.label)
            return Stanza(type: .rawKey, body: salt + wrapped)
        } catch {
            throw .invalidKey("cannot wrap the file key: \(error)")
        }
    }

    public func unwrap(_ stanzas: [Stanza]) throws(SealError) -> SymmetricKey? {
        for stanza in stanzas where stanza.type == .rawKey && stanza.body.count == 80 {
            let salt = stanza.body.prefix(Self.saltLength)
            if let fileKey = KeyWrap.unwrap(stanza.body.dropFirst(Self.saltLength), with: wrapKey(salt: salt), label: Self.label) {
                return fileKey
            }
        }
        return nil
    }

    private func wrapKey(salt: ArraySlice<UInt8>) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: key, salt: Array(salt), info: Array(Self.label.utf8), outputByteCount: 32)
    }
}

/// `count` bytes from the system CSPRNG.
func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
}
