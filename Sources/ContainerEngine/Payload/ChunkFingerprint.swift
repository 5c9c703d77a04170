import ContainerFormat

/// What identifies a sealed chunk between two reads of it (spec/CONTAINER.md §5).
///
/// `leafHash` is the Merkle leaf (spec/SIGNATURES.md §1): needed for a signed file, whose threat is a key
/// holder, who can make a different chunk with the same AEAD tag. `tag` is the chunk's 16-byte AEAD tag,
/// free to read: enough for an unsigned file, because whoever can make a second valid chunk with the
/// same tag holds the file key and could have made the whole unsigned file in the first place.
public enum ChunkFingerprint: Sendable {
    case leafHash
    case tag

    /// The fingerprint of one sealed chunk (ciphertext and tag).
    func of(_ sealed: UnsafeRawBufferPointer) -> [UInt8] {
        switch self {
        case .leafHash: Merkle.leafHash(sealed)
        case .tag: Array(sealed[(sealed.count - SealedFormat.tagLength)...])
        }
    }
}
