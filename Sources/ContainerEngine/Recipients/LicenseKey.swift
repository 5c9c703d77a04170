import ContainerFormat
import Crypto

/// A license key-encryption key (KEK): files sealed to it open for every holder of a license that
/// carries it (stanza `0x04`, spec/CONTAINER.md §3 and spec/LICENSING.md).
///
/// Like a raw key it never encrypts data itself (`SaltedKeyWrap`, label `modelseal/v1 license`). The
/// distinct type and label keep a license KEK and a raw key (`MODEL_KEY`) from ever opening each
/// other's stanzas, even if the same 32 bytes were used as both.
public struct LicenseKey: SymmetricKeyRecipient {
    public static let scheme = SaltedKeyWrap(type: .license, label: "modelseal/v1 license")
    public static let keyName = "license key"
    public let key: SymmetricKey

    public init(validated key: SymmetricKey) { self.key = key }
}
