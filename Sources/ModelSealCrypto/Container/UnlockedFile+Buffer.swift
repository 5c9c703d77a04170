import FoundationEssentials
import ModelSealFormat

extension UnlockedFile {
    /// Decrypts the whole payload into `buffer`, every chunk copied by its worker straight to its place.
    ///
    /// What the C ABI and the in-memory loaders use: no sink, no second copy. `buffer` must hold at
    /// least `plaintextLength` bytes (bytes after that are left alone). If any chunk fails, the whole
    /// plaintext range of `buffer` is zeroed before the error is thrown, so a caller that ignores the
    /// error still finds no plaintext of a bad file.
    @discardableResult
    public func decrypt(
        into buffer: UnsafeMutableRawBufferPointer, hashing: Bool = false, progress: (@Sendable (Int) -> Void)? = nil
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
            return try decryptChunks(into: destination, hashing: hashing, progress: progress)
        } catch {
            if let base = buffer.baseAddress, total > 0 {
                base.initializeMemory(as: UInt8.self, repeating: 0, count: total)
            }
            throw error
        }
    }

    private func decryptChunks(
        into destination: SharedBuffer, hashing: Bool, progress: (@Sendable (Int) -> Void)?
    ) throws(SealError) -> [[UInt8]] {
        let layout = file.layout
        let batch = Parallel.batchChunks(chunkSize: layout.chunkSize)
        let slotSize = ChunkCipher.slotPrefix + layout.sealedChunkSize
        let slots = SharedBuffer(count: batch * slotSize)
        defer { slots.deallocate() }
        let source = file.source
        let payloadStart = file.headerBytes.count
        let cipher = cipher
        var first = 0
        var leaves: [[UInt8]] = []
        while first < layout.chunkCount {
            let count = min(batch, layout.chunkCount - first)
            let base = first
            leaves += try Parallel.map(count) { (offset) throws(SealError) -> [UInt8] in
                let index = base + offset
                let length = layout.length(ofChunk: index)
                let slot = slots.slice((offset * slotSize)..<(offset * slotSize + ChunkCipher.slotPrefix + length))
                try source.source.read(
                    into: UnsafeMutableRawBufferPointer(rebasing: slot[ChunkCipher.slotPrefix...]),
                    at: payloadStart + layout.offset(ofChunk: index))
                let leaf = hashing ? Merkle.leafHash(UnsafeRawBufferPointer(rebasing: slot[ChunkCipher.slotPrefix...])) : []
                let plain = try cipher.open(slot: slot, index: index, isLast: index == layout.chunkCount - 1)
                let start = index * layout.chunkSize
                plain.withUnsafeBytes { bytes in
                    destination.slice(start..<(start + bytes.count)).copyMemory(from: bytes)
                }
                return leaf
            }
            first += count
            progress?(min(first * layout.chunkSize, layout.plaintextLength))
        }
        return hashing ? leaves : []
    }
}

extension SharedBuffer {
    /// Shares memory owned by the caller (never deallocated through this value).
    init(wrapping base: UnsafeMutableRawBufferPointer) { self.base = base }
}
