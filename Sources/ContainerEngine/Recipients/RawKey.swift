import ContainerFormat
import Crypto

/// A long-lived 32-byte symmetric key (`MODEL_KEY`): both a recipient and an identity.
///
/// It never encrypts data itself: it keys HKDF with a fresh random salt and the label
/// `modelseal/v1 raw-key` to make a one-time wrap key (spec/CONTAINER.md §3, stanza `0x01`).
public struct RawKey: SymmetricKeyRecipient {
    public static let scheme = SaltedKeyWrap(type: .rawKey, label: "modelseal/v1 raw-key")
    public static let keyName = "raw key"
    public let key: SymmetricKey

    public init(validated key: SymmetricKey) { self.key = key }
}

/// `count` bytes from the system CSPRNG.
func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
}
