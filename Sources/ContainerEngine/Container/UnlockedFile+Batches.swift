import ContainerFormat
import FoundationEssentials
import ModelSealCore

extension UnlockedFile {
    /// Opens chunks `range` batch by batch on all cores, in order: each worker reads its sealed chunk
    /// into a slot, hashes it when `hashing` (spec/SIGNATURES.md §1), authenticates and decrypts it, and
    /// hands the plaintext to `take` (on that worker); `batchDone` then gets the batch's results in
    /// chunk order with their leaf hashes (or `fingerprint`s; empty unless hashing) and the index after the batch.
    ///
    /// The one decryption loop behind `decrypt(to:)` (results written by the caller in order) and
    /// `decrypt(into:)` (each worker copies its chunk to its place).
    ///
    /// With `expected` (one leaf hash per chunk of the file, what a signature covers), each worker compares
    /// its chunk's hash with it before handing the plaintext on: the plaintext of a chunk that was not
    /// signed never reaches `take` (nor caller memory).
    func openChunks<Result>(
        _ range: Range<Int>, hashing: Bool, fingerprint: ChunkFingerprint = .leafHash, expected: [[UInt8]]? = nil,
        take: (_ index: Int, _ plaintext: Data) throws(SealError) -> Result,
        batchDone: (_ results: [(Result, [UInt8])], _ end: Int) throws(SealError) -> Void
    ) throws(SealError) {
        let layout = file.layout
        let batch = Parallel.batchCount(itemSize: layout.chunkSize)
        let slotSize = ChunkCipher.slotPrefix + layout.sealedChunkSize
        let slots = SharedBuffer(count: batch * slotSize)
        defer { slots.deallocate() }
        let source = file.source
        let payloadStart = file.headerBytes.count
        let cipher = cipher
        var first = range.lowerBound
        while first < range.upperBound {
            let count = min(batch, range.upperBound - first)
            let base = first
            let results = try Parallel.map(count) { (offset) throws(SealError) -> (Result, [UInt8]) in
                let index = base + offset
                let length = layout.length(ofChunk: index)
                let slot = slots.slice((offset * slotSize)..<(offset * slotSize + ChunkCipher.slotPrefix + length))
                let sealed = UnsafeMutableRawBufferPointer(rebasing: slot[ChunkCipher.slotPrefix...])
                try SealError.reading { () throws(IOError) in
                    try source.source.read(into: sealed, at: payloadStart + layout.offset(ofChunk: index))
                }
                let leaf = hashing || expected != nil ? fingerprint.of(UnsafeRawBufferPointer(sealed)) : []
                let plaintext = try cipher.open(slot: slot, index: index, isLast: index == layout.chunkCount - 1)
                // After the tag (a corrupted chunk stays "failed to authenticate"), before `take`.
                if let expected, expected[index] != leaf { throw .chunkNotSigned(index: index) }
                return (try take(index, plaintext), leaf)
            }
            first += count
            try batchDone(results, first)
        }
    }
}
