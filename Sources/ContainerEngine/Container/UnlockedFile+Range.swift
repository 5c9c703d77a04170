import ContainerFormat
import FoundationEssentials
import ModelSealCore

/// Plaintext bytes `offset ..< offset + buffer.count` of a sealed file, to be decrypted into `buffer`.
public struct PlaintextExtent: @unchecked Sendable {
    public let offset: Int
    public let buffer: UnsafeMutableRawBufferPointer

    public init(offset: Int, buffer: UnsafeMutableRawBufferPointer) {
        self.offset = offset
        self.buffer = buffer
    }
}

extension UnlockedFile {
    /// The chunks holding plaintext bytes `range` (an empty range at the end holds none).
    public func chunks(covering range: Range<Int>) -> Range<Int> {
        let size = file.layout.chunkSize
        guard !range.isEmpty else { return 0..<0 }
        return (range.lowerBound / size)..<((range.upperBound - 1) / size + 1)
    }

    /// Decrypts plaintext bytes `offset ..< offset + buffer.count` into `buffer`, opening only the chunks
    /// that hold them: `read(extents:)` with one extent.
    public func read(
        at offset: Int, into buffer: UnsafeMutableRawBufferPointer, expected: [[UInt8]]? = nil
    ) throws(SealError) {
        try read(extents: [PlaintextExtent(offset: offset, buffer: buffer)], expected: expected)
    }

    /// Decrypts each extent's plaintext bytes `offset ..< offset + buffer.count` into its buffer, opening only
    /// the chunks that hold them, each once (spec/CONTAINER.md §5: every chunk authenticates on its own under
    /// its index), on all cores. What a loader that gives every tensor its own memory uses: a chunk wholly
    /// inside one extent is decrypted straight into its place; a chunk that several extents share (or that
    /// an extent cuts) is opened in its slot and each extent's part copied out.
    ///
    /// Extents may come in any order; they must not overlap or reach past the plaintext. With `expected` (the
    /// signed leaf hashes, one per chunk of the file), each chunk's leaf hash is compared with its signed one
    /// before any of its bytes reach a buffer. On any failure every buffer is zeroed before the error is
    /// thrown. Random access cannot tell a file cut at a chunk boundary from a whole one by itself: callers
    /// check the last chunk once (`checkLastChunk`) before the first read.
    public func read(extents: [PlaintextExtent], expected: [[UInt8]]? = nil) throws(SealError) {
        let sorted = try checked(extents)
        do throws(SealError) {
            for run in chunkRuns(sorted) {
                try openChunks(
                    run, hashing: expected != nil, expected: expected,
                    place: { index in placeInside(sorted, chunk: index) },
                    take: { (index, plaintext) throws(SealError) in
                        guard placeInside(sorted, chunk: index) == nil else { return }
                        copy(plaintext, ofChunk: index, into: sorted)
                    },
                    batchDone: { (_, _) throws(SealError) in })
            }
        } catch {
            for extent in sorted {
                extent.buffer.baseAddress?.initializeMemory(as: UInt8.self, repeating: 0, count: extent.buffer.count)
            }
            throw error
        }
    }

    /// The extents with bytes, sorted by offset; refuses any extent outside the plaintext (even an empty one)
    /// and extents that overlap.
    private func checked(_ extents: [PlaintextExtent]) throws(SealError) -> [PlaintextExtent] {
        let total = file.layout.plaintextLength
        for extent in extents {
            let (end, overflow) = extent.offset.addingReportingOverflow(extent.buffer.count)
            guard extent.offset >= 0, !overflow, end <= total else {
                throw .inputFailed("bytes \(extent.offset)..<\(end) lie outside the \(total)-byte plaintext")
            }
        }
        let sorted = extents.filter { $0.buffer.count > 0 }.sorted { $0.offset < $1.offset }
        for (before, after) in zip(sorted, sorted.dropFirst()) where after.offset < before.offset + before.buffer.count
        {
            throw .inputFailed("extents overlap at byte \(after.offset): give each plaintext byte one buffer")
        }
        return sorted
    }

    /// The extents' covering chunks as maximal runs of consecutive chunks (a chunk two extents share once).
    private func chunkRuns(_ sorted: [PlaintextExtent]) -> [Range<Int>] {
        var runs: [Range<Int>] = []
        for extent in sorted {
            let covering = chunks(covering: extent.offset..<(extent.offset + extent.buffer.count))
            if let last = runs.last, covering.lowerBound <= last.upperBound {
                runs[runs.count - 1] = last.lowerBound..<max(last.upperBound, covering.upperBound)
            } else {
                runs.append(covering)
            }
        }
        return runs
    }

    /// The index of the first extent (sorted) ending after plaintext byte `offset`.
    private func firstExtent(_ sorted: [PlaintextExtent], endingAfter offset: Int) -> Int {
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle].offset + sorted[middle].buffer.count <= offset { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Where chunk `index`'s plaintext goes when one extent holds all of it; nil otherwise.
    private func placeInside(_ sorted: [PlaintextExtent], chunk index: Int) -> UnsafeMutableRawBufferPointer? {
        let chunkStart = index * file.layout.chunkSize
        let chunkEnd = chunkStart + file.layout.length(ofChunk: index) - SealedFormat.tagLength
        let candidate = firstExtent(sorted, endingAfter: chunkStart)
        guard candidate < sorted.count else { return nil }
        let extent = sorted[candidate]
        guard extent.offset <= chunkStart, chunkEnd <= extent.offset + extent.buffer.count else { return nil }
        return UnsafeMutableRawBufferPointer(
            rebasing: extent.buffer[(chunkStart - extent.offset)..<(chunkEnd - extent.offset)])
    }

    /// Copies the parts of chunk `index`'s plaintext that extents ask for into them.
    private func copy(_ plaintext: UnsafeRawBufferPointer, ofChunk index: Int, into sorted: [PlaintextExtent]) {
        let chunkStart = index * file.layout.chunkSize
        let chunkEnd = chunkStart + plaintext.count
        var position = firstExtent(sorted, endingAfter: chunkStart)
        while position < sorted.count, sorted[position].offset < chunkEnd {
            let extent = sorted[position]
            let from = max(extent.offset, chunkStart)
            let to = min(extent.offset + extent.buffer.count, chunkEnd)
            UnsafeMutableRawBufferPointer(rebasing: extent.buffer[(from - extent.offset)..<(to - extent.offset)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: plaintext[(from - chunkStart)..<(to - chunkStart)]))
            position += 1
        }
    }

    /// Authenticates the last chunk (its nonce carries the last-chunk flag), compared with its signed leaf
    /// hash when `expected` is given: a file cut short at a chunk boundary fails here, so random access
    /// never serves a prefix of a truncated file as if it were whole.
    public func checkLastChunk(expected: [[UInt8]]? = nil) throws(SealError) {
        let last = file.layout.chunkCount - 1
        try openChunks(
            last..<(last + 1), hashing: expected != nil, expected: expected,
            take: { (_, _) throws(SealError) in }, batchDone: { (_, _) throws(SealError) in })
    }
}
