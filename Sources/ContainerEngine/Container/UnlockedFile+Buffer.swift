import ContainerFormat
import FoundationEssentials
import ModelSealCore

extension UnlockedFile {
    /// Decrypts the whole payload into `buffer`, every chunk decrypted by its worker straight into its place.
    ///
    /// What the C ABI and the in-memory loaders use: no sink, no copy after decryption. `buffer` must hold at
    /// least `plaintextLength` bytes (bytes after that are left alone). If any chunk fails, the whole
    /// plaintext range of `buffer` is zeroed before the error is thrown, so a caller that ignores the
    /// error still finds no plaintext of a bad file.
    ///
    /// Each chunk is decrypted by its worker straight into its place. With `expected` (the signed leaf
    /// hashes), a chunk's ciphertext is compared with its signed hash before it is decrypted, so no byte of a
    /// chunk that was not signed is ever written into `buffer`, even while the call runs. Without it, each
    /// chunk is authenticated as it is decrypted and one that fails is zeroed in place by the cipher: while
    /// the call runs, `buffer` is the call's, and only its return hands the plaintext over.
    @discardableResult
    public func decrypt(
        into buffer: UnsafeMutableRawBufferPointer, hashing: Bool = false, expected: [[UInt8]]? = nil,
        progress: (@Sendable (Int) -> Void)? = nil
    ) throws(SealError) -> [[UInt8]] {
        let layout = file.layout
        let total = layout.plaintextLength
        guard buffer.count >= total else {
            throw .outputFailed("the buffer holds \(buffer.count) bytes but the plaintext is \(total) bytes")
        }
        guard total > 0 || layout.chunkCount == 1 else {
            throw .outputFailed("internal error: empty multi-chunk payload")
        }
        let destination = SharedBuffer(wrapping: buffer)
        do throws(SealError) {
            return try decryptChunks(into: destination, hashing: hashing, expected: expected, progress: progress)
        } catch {
            if let base = buffer.baseAddress, total > 0 {
                base.initializeMemory(as: UInt8.self, repeating: 0, count: total)
            }
            throw error
        }
    }

    private func decryptChunks(
        into destination: SharedBuffer, hashing: Bool, expected: [[UInt8]]?, progress: (@Sendable (Int) -> Void)?
    ) throws(SealError) -> [[UInt8]] {
        let layout = file.layout
        var leaves: [[UInt8]] = []
        try openChunks(
            0..<layout.chunkCount, hashing: hashing, expected: expected,
            place: { index in
                let start = index * layout.chunkSize
                return destination.slice(start..<(start + layout.length(ofChunk: index) - SealedFormat.tagLength))
            },
            take: { (_, _) throws(SealError) in },
            batchDone: { (batch, end) throws(SealError) in
                if hashing { leaves += batch.map(\.1) }
                progress?(min(end * layout.chunkSize, layout.plaintextLength))
            })
        return leaves
    }
}
