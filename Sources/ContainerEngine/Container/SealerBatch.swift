import ContainerFormat
import ModelSealCore

/// The sealer's four batch buffers: the plaintext batch being encrypted and the next one being read, the
/// ciphertext being sealed into and the previous batch's, being written out meanwhile.
struct SealerBuffers: Sendable {
    private(set) var plaintext: SharedBuffer
    private(set) var nextPlaintext: SharedBuffer
    private(set) var sealed: SharedBuffer
    private(set) var previousSealed: SharedBuffer

    /// Allocates two buffers of `plaintext` bytes and two of `sealed` bytes; the owner calls `deallocate()`.
    init(plaintext: Int, sealed: Int) {
        self.plaintext = SharedBuffer(count: plaintext)
        nextPlaintext = SharedBuffer(count: plaintext)
        self.sealed = SharedBuffer(count: sealed)
        previousSealed = SharedBuffer(count: sealed)
    }

    /// After a batch: the next plaintext becomes the current one, this batch's ciphertext the previous one.
    mutating func swap() {
        Swift.swap(&plaintext, &nextPlaintext)
        Swift.swap(&sealed, &previousSealed)
    }

    func deallocate() {
        for buffer in [plaintext, nextPlaintext, sealed, previousSealed] { buffer.deallocate() }
    }
}

/// One batch of the sealer: which chunks, where their plaintext and ciphertext go.
struct SealerBatch: Sendable {
    let buffers: SealerBuffers
    /// Index of the batch's first chunk in the file.
    let first: Int
    let count: Int
    /// Plaintext bytes in the batch.
    let used: Int
    let chunkSize: Int
    /// Whether the batch ends the file (its last chunk carries the last-chunk flag).
    let isFinal: Bool
    /// Ciphertext bytes of the previous batch still to write.
    let pending: Int
    let hashing: Bool

    /// The previous batch's ciphertext, in file order.
    var previousCiphertext: UnsafeRawBufferPointer { UnsafeRawBufferPointer(buffers.previousSealed.slice(0..<pending)) }

    /// Seals chunk `offset` of the batch into its place (chunk k of a batch at k × (chunk size + tag)); returns
    /// its Merkle leaf hash when hashing, else an empty array.
    func seal(_ offset: Int, with cipher: ChunkCipher) throws(SealError) -> [UInt8] {
        let start = offset * chunkSize
        let plaintext = UnsafeRawBufferPointer(buffers.plaintext.slice(start..<min(start + chunkSize, used)))
        let sealedStart = offset * (chunkSize + SealedFormat.tagLength)
        let sealed = buffers.sealed.slice(sealedStart..<(sealedStart + plaintext.count + SealedFormat.tagLength))
        try cipher.seal(plaintext, into: sealed, index: first + offset, isLast: isFinal && offset == count - 1)
        return hashing ? Merkle.leafHash(UnsafeRawBufferPointer(sealed)) : []
    }
}
