import ContainerFormat
import FoundationEssentials
import ModelSealCore

extension UnlockedFile {
    /// Opens chunks `range` batch by batch on all cores, in order: each worker reads its sealed chunk
    /// into a slot, hashes it when `hashing` (spec/SIGNATURES.md §1), authenticates and decrypts it, and
    /// hands the plaintext to `take` (on that worker); `batchDone` then gets the batch's results in
    /// chunk order with their leaf hashes (or `fingerprint`s; empty unless hashing) and the index after the batch.
    ///
    /// The one decryption loop behind `decrypt(to:)`, `decrypt(into:)` and `read(at:into:)`. A chunk is
    /// decrypted straight into the memory `place` returns for it (exactly the chunk's plaintext length), or in
    /// place in its slot when `place` returns nil; `take` then sees the plaintext where it is. Slots are reused
    /// by the next batch: `take` and `batchDone` must be done with slot plaintext when `batchDone` returns.
    ///
    /// With `expected` (one leaf hash per chunk of the file, what a signature covers), each worker compares
    /// its chunk's hash with it before decrypting: no byte of a chunk that was not signed is ever written
    /// anywhere. Without it, a chunk decrypted into `place` memory is authenticated while it is decrypted, and
    /// a chunk that fails leaves zeros there (ChunkCipher.open).
    func openChunks<Result>(
        _ range: Range<Int>, hashing: Bool, fingerprint: ChunkFingerprint = .leafHash, expected: [[UInt8]]? = nil,
        place: (_ index: Int) -> UnsafeMutableRawBufferPointer? = { _ in nil },
        take: (_ index: Int, _ plaintext: UnsafeRawBufferPointer) throws(SealError) -> Result,
        batchDone: (_ results: [(Result, [UInt8])], _ end: Int) throws(SealError) -> Void
    ) throws(SealError) {
        let layout = file.layout
        let batch = Parallel.batchCount(itemSize: layout.chunkSize)
        let slots = SharedBuffer(count: batch * layout.sealedChunkSize)
        defer { slots.deallocate() }
        var first = range.lowerBound
        while first < range.upperBound {
            let count = min(batch, range.upperBound - first)
            let base = first
            let results = try Parallel.map(count) { (offset) throws(SealError) -> (Result, [UInt8]) in
                let index = base + offset
                let start = offset * layout.sealedChunkSize
                let sealed = slots.slice(start..<(start + layout.length(ofChunk: index)))
                let (leaf, plaintext) = try openChunk(
                    index, sealed: sealed, into: place(index), hashing: hashing, fingerprint: fingerprint,
                    expected: expected)
                return (try take(index, plaintext), leaf)
            }
            first += count
            try batchDone(results, first)
        }
    }

    /// Reads chunk `index` into `sealed`, checks it against `expected` when given, then decrypts it into
    /// `destination` (or in place, leaving the plaintext at the start of `sealed`). Returns the chunk's
    /// fingerprint (empty unless hashing or checking) and where its plaintext now is.
    private func openChunk(
        _ index: Int, sealed: UnsafeMutableRawBufferPointer, into destination: UnsafeMutableRawBufferPointer?,
        hashing: Bool, fingerprint: ChunkFingerprint, expected: [[UInt8]]?
    ) throws(SealError) -> (leaf: [UInt8], plaintext: UnsafeRawBufferPointer) {
        let layout = file.layout
        try SealError.reading { () throws(IOError) in
            try file.source.source.read(into: sealed, at: file.headerBytes.count + layout.offset(ofChunk: index))
        }
        let isLast = index == layout.chunkCount - 1
        let leaf = hashing || expected != nil ? fingerprint.of(UnsafeRawBufferPointer(sealed)) : []
        let inPlace = UnsafeMutableRawBufferPointer(rebasing: sealed[..<(sealed.count - SealedFormat.tagLength)])
        if let expected, expected[index] != leaf {
            // Not the signed chunk. Say whether it authenticates at all (a corrupted chunk stays "failed to
            // authenticate"); its plaintext stays in the slot and is never handed on.
            try cipher.open(UnsafeRawBufferPointer(sealed), into: inPlace, index: index, isLast: isLast)
            throw .chunkNotSigned(index: index)
        }
        let plaintext = destination ?? inPlace
        if let destination { Prefault.forWriting(destination) }
        try cipher.open(UnsafeRawBufferPointer(sealed), into: plaintext, index: index, isLast: isLast)
        return (leaf, UnsafeRawBufferPointer(plaintext))
    }
}
