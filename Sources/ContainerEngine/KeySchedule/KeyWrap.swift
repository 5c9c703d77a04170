import ContainerFormat
import Crypto
import FoundationEssentials

/// The single-use AES-256-GCM wrap every symmetric stanza uses (spec/CONTAINER.md §3).
///
/// The all-zero nonce is safe because every wrap key is derived from a fresh random salt and
/// used once; the additional data binds the wrap to its stanza type.
enum KeyWrap {
    static let wrappedLength = SealedFormat.fileKeyLength + SealedFormat.tagLength
    private static let zeroNonce = [UInt8](repeating: 0, count: 12)

    static func wrap(_ fileKey: SymmetricKey, with wrapKey: SymmetricKey, label: String) throws -> [UInt8] {
        let plaintext = fileKey.withUnsafeBytes { Data($0) }
        let box = try AES.GCM.seal(
            plaintext, using: wrapKey, nonce: AES.GCM.Nonce(data: zeroNonce), authenticating: Array(label.utf8))
        return Array(box.ciphertext) + Array(box.tag)
    }

    /// The unwrapped file key, or `nil` when this wrap key is not the right one.
    static func unwrap(_ wrapped: ArraySlice<UInt8>, with wrapKey: SymmetricKey, label: String) -> SymmetricKey? {
        guard wrapped.count == wrappedLength,
            let box = try? AES.GCM.SealedBox(
                nonce: AES.GCM.Nonce(data: zeroNonce), ciphertext: wrapped.prefix(SealedFormat.fileKeyLength),
                tag: wrapped.suffix(SealedFormat.tagLength)),
            let plaintext = try? AES.GCM.open(box, using: wrapKey, authenticating: Array(label.utf8))
        else { return nil }
        return SymmetricKey(data: plaintext)
    }
}
