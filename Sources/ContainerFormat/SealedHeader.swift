/// The parsed header of a sealed file (spec/CONTAINER.md §2–§4).
///
/// Byte layout:
/// ```
/// magic(8) version(1) suite(1) chunk_log2(1) reserved(1) header_length(4) payload_salt(32)
/// stanza_count(1) stanzas... extension_count(1) extensions... header_mac(32)
/// ```
public struct SealedHeader: Sendable, Equatable {
    /// The payload AEAD.
    public var suite: CipherSuite
    /// log2 of the plaintext chunk size.
    public var chunkLog2: UInt8
    /// Per-file random salt of the payload key.
    public var payloadSalt: [UInt8]
    /// Recipient stanzas in file order.
    public var stanzas: [Stanza]
    /// Extensions in increasing type order.
    public var extensions: [HeaderExtension]
    /// HMAC-SHA256 over every preceding header byte; empty until computed.
    public var mac: [UInt8]

    /// A header; `mac` is filled in by the sealer once the file key is known.
    public init(
        suite: CipherSuite, chunkLog2: UInt8, payloadSalt: [UInt8], stanzas: [Stanza],
        extensions: [HeaderExtension], mac: [UInt8] = []
    ) {
        self.suite = suite
        self.chunkLog2 = chunkLog2
        self.payloadSalt = payloadSalt
        self.stanzas = stanzas
        self.extensions = extensions
        self.mac = mac
    }

    /// Plaintext bytes per chunk.
    public var chunkSize: Int { 1 << Int(chunkLog2) }

    /// The extension of a given type, if present.
    public func `extension`(_ type: ExtensionType) -> HeaderExtension? {
        extensions.first { $0.type == type }
    }
}
