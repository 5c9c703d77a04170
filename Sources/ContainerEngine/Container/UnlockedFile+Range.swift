import ContainerFormat
import FoundationEssentials
import ModelSealCore

extension UnlockedFile {
    /// The chunks holding plaintext bytes `range` (an empty range at the end holds none).
    public func chunks(covering range: Range<Int>) -> Range<Int> {
        let size = file.layout.chunkSize
        guard !range.isEmpty else { return 0..<0 }
        return (range.lowerBound / size)..<((range.upperBound - 1) / size + 1)
    }

    /// Decrypts plaintext bytes `offset ..< offset + buffer.count` into `buffer`, opening only the chunks
    /// that hold them (spec/CONTAINER.md §5: every chunk authenticates on its own under its index).
    ///
    /// With `expected` (the signed leaf hashes, one per chunk of the file), each chunk's leaf hash is
    /// compared with its signed one before any of its bytes reach `buffer`. A range past the end is
    /// refused; on any failure `buffer` is zeroed before the error is thrown. Random access cannot tell a
    /// file cut at a chunk boundary from a whole one by itself: callers check the last chunk once
    /// (`checkLastChunk`) before the first read.
    public func read(
        at offset: Int, into buffer: UnsafeMutableRawBufferPointer, expected: [[UInt8]]? = nil
    ) throws(SealError) {
        let total = file.layout.plaintextLength
        let (end, overflow) = offset.addingReportingOverflow(buffer.count)
        guard offset >= 0, !overflow, end <= total else {
            throw .inputFailed("bytes \(offset)..<\(end) lie outside the \(total)-byte plaintext")
        }
        guard buffer.count > 0 else { return }
        let destination = SharedBuffer(wrapping: buffer)
        let size = file.layout.chunkSize
        do throws(SealError) {
            // A chunk wholly inside the range is decrypted straight into its place; the (at most two) chunks
            // the range cuts are opened in their slots and the part asked for copied.
            try openChunks(
                chunks(covering: offset..<end), hashing: expected != nil, expected: expected,
                place: { index in
                    let chunkStart = index * size
                    let chunkEnd = chunkStart + file.layout.length(ofChunk: index) - SealedFormat.tagLength
                    guard chunkStart >= offset, chunkEnd <= end else { return nil }
                    return destination.slice((chunkStart - offset)..<(chunkEnd - offset))
                },
                take: { (index, plaintext) throws(SealError) in
                    let chunkStart = index * size
                    let from = max(offset, chunkStart)
                    let to = min(end, chunkStart + plaintext.count)
                    guard from < to, chunkStart < offset || chunkStart + plaintext.count > end else { return }
                    let part = UnsafeRawBufferPointer(rebasing: plaintext[(from - chunkStart)..<(to - chunkStart)])
                    destination.slice((from - offset)..<(to - offset)).copyMemory(from: part)
                },
                batchDone: { (_, _) throws(SealError) in })
        } catch {
            if let base = buffer.baseAddress {
                base.initializeMemory(as: UInt8.self, repeating: 0, count: buffer.count)
            }
            throw error
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
