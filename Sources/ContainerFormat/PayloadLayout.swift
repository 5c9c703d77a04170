/// Where each chunk of a payload lies, derived from the payload length alone (spec/CONTAINER.md §5).
///
/// There is no length field: `n = ceil(L / (C + 16))`, every chunk but the last is `C + 16`
/// bytes and the last is `16 ... C + 16` bytes (exactly 16 only when it is the only chunk).
public struct PayloadLayout: Sendable, Equatable {
    /// Plaintext bytes per full chunk.
    public let chunkSize: Int
    /// Ciphertext bytes of the payload.
    public let payloadLength: Int
    /// Number of chunks, at least 1.
    public let chunkCount: Int
    /// Ciphertext bytes of the last chunk (tag included).
    public let lastChunkLength: Int

    /// Ciphertext bytes of a full chunk.
    public var sealedChunkSize: Int { chunkSize + SealedFormat.tagLength }
    /// Plaintext bytes of the whole payload.
    public var plaintextLength: Int { (chunkCount - 1) * chunkSize + lastChunkLength - SealedFormat.tagLength }

    /// Computes the layout, or `nil`-free throws when no valid payload has this length.
    public init(chunkSize: Int, payloadLength: Int) throws(FormatError) {
        let sealed = chunkSize + SealedFormat.tagLength
        guard payloadLength >= SealedFormat.tagLength else { throw .truncatedPayload(payloadLength: payloadLength) }
        let count = (payloadLength + sealed - 1) / sealed
        let last = payloadLength - (count - 1) * sealed
        guard last >= SealedFormat.tagLength, count == 1 || last > SealedFormat.tagLength else {
            throw .truncatedPayload(payloadLength: payloadLength)
        }
        self.chunkSize = chunkSize
        self.payloadLength = payloadLength
        self.chunkCount = count
        self.lastChunkLength = last
    }

    /// Offset of chunk `index` from the start of the payload.
    public func offset(ofChunk index: Int) -> Int { index * sealedChunkSize }

    /// Ciphertext length of chunk `index`.
    public func length(ofChunk index: Int) -> Int { index == chunkCount - 1 ? lastChunkLength : sealedChunkSize }
}
