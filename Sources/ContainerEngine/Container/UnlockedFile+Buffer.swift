import ContainerFormat
import FoundationEssentials
import ModelSealCore

extension UnlockedFile {
    /// Decrypts the whole payload into `buffer`, every chunk copied by its worker straight to its place.
    ///
    /// What the C ABI and the in-memory loaders use: no sink, no second copy. `buffer` must hold at
    /// least `plaintextLength` bytes (bytes after that are left alone). If any chunk fails, the whole
    /// plaintext range of `buffer` is zeroed before the error is thrown, so a caller that ignores the
    /// error still finds no plaintext of a bad file.
    ///
    /// With `expected` (the signed leaf hashes), a chunk is compared with its signed hash before it is
    /// copied, so no plaintext that was not signed is ever written into `buffer`, even while the call
    /// runs (another thread may read the buffer meanwhile: it sees only signed, authenticated chunks,
    /// which are zeroed again if a later chunk fails).
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
            take: { (index, plaintext) throws(SealError) in
                let start = index * layout.chunkSize
                plaintext.withUnsafeBytes { bytes in
                    destination.slice(start..<(start + bytes.count)).copyMemory(from: bytes)
                }
            },
            batchDone: { (batch, end) throws(SealError) in
                if hashing { leaves += batch.map(\.1) }
                progress?(min(end * layout.chunkSize, layout.plaintextLength))
            })
        return leaves
    }
}
