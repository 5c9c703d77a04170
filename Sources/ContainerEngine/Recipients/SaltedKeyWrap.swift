import ContainerFormat
import Crypto

/// The stanza scheme a raw key and a license key share (spec/CONTAINER.md §3, spec/LICENSING.md): the long-lived key
/// never encrypts data itself; HKDF-SHA256 of it, with a fresh random 32-byte salt and the
/// scheme's label as info, gives a one-time wrap key for the file key. Body: salt ‖ wrapped key.
///
/// Each scheme has its own stanza type and label, so the same 32 bytes used as both kinds of key
/// never open each other's stanzas.
public struct SaltedKeyWrap: Sendable {
    let type: StanzaType
    let label: String
    static let saltLength = 32
    /// Salt plus the wrapped 32-byte file key with its 16-byte tag.
    static let bodyLength = 80

    func wrap(_ fileKey: SymmetricKey, with key: SymmetricKey) throws -> Stanza {
        let salt = randomBytes(Self.saltLength)
        let wrapped = try KeyWrap.wrap(fileKey, with: wrapKey(key, salt: salt[...]), label: label)
        return Stanza(type: type, body: salt + wrapped)
    }

    func unwrap(_ stanzas: [Stanza], with key: SymmetricKey) -> SymmetricKey? {
        for stanza in stanzas where stanza.type == type && stanza.body.count == Self.bodyLength {
            let salt = stanza.body.prefix(Self.saltLength)
            if let fileKey = KeyWrap.unwrap(
                stanza.body.dropFirst(Self.saltLength), with: wrapKey(key, salt: salt), label: label)
            {
                return fileKey
            }
        }
        return nil
    }

    private func wrapKey(_ key: SymmetricKey, salt: ArraySlice<UInt8>) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: key, salt: Array(salt), info: Array(label.utf8), outputByteCount: 32)
    }
}
