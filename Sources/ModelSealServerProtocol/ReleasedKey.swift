import ContainerEngine
import ContainerFormat
import Crypto

/// A file key the server released: an `Identity` that offers it for the header MAC check, so the file
/// opens through the usual path (nothing is decrypted before the header MAC verifies with it).
public struct ReleasedKey: Identity {
    let key: SymmetricKey

    /// The 32-byte file key.
    public init(fileKey: [UInt8]) { key = SymmetricKey(data: fileKey) }

    public func unwrap(_ stanzas: [Stanza]) throws(SealError) -> SymmetricKey? { key }

}
