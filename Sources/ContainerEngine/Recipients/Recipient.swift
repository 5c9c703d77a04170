import ContainerFormat
import Crypto

/// Someone a file can be sealed to: wraps a file key into one stanza.
public protocol Recipient: Sendable {
    /// Wraps `fileKey` into a new stanza.
    func wrap(_ fileKey: SymmetricKey) throws(SealError) -> Stanza
}

/// Something that can open a file: finds and unwraps its stanza.
public protocol Identity: Sendable {
    /// The file key from the first stanza this identity opens, or `nil` when it opens none.
    ///
    /// Throws only for stanzas it must refuse outright (unsafe scrypt parameters).
    func unwrap(_ stanzas: [Stanza]) throws(SealError) -> SymmetricKey?
}
