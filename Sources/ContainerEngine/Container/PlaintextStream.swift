import ModelSealCore

/// The plaintext of an unlocked file as a stream, one batch of chunks at a time (bounded memory):
/// what `Rekey.rotate` re-seals. Each chunk is authenticated before any of its bytes is read out and,
/// with `expected` leaf hashes (what a signature covers), compared with them first.
public final class PlaintextStream: ByteStream {
    let file: UnlockedFile
    let expected: [[UInt8]]?
    var nextChunk = 0
    var buffer: [UInt8] = []
    var position = 0

    /// A stream over `file`'s plaintext; `expected` holds one leaf hash per chunk, or nil.
    public init(_ file: UnlockedFile, expected: [[UInt8]]? = nil) {
        self.file = file
        self.expected = expected
    }

    public func read(into target: UnsafeMutableRawBufferPointer) throws(IOError) -> Int {
        while position == buffer.count {
            let count = file.file.layout.chunkCount
            guard nextChunk < count else { return 0 }
            let end = min(count, nextChunk + Parallel.batchCount(itemSize: file.file.layout.chunkSize))
            let sink = MemorySink()
            do throws(SealError) {
                try file.decrypt(chunks: nextChunk..<end, to: sink, expected: expected)
            } catch {
                throw .failed(path: "sealed input", reason: error.description)
            }
            buffer = sink.bytes
            position = 0
            nextChunk = end
        }
        let count = min(target.count, buffer.count - position)
        buffer.withUnsafeBytes { bytes in
            target.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)]))
        }
        position += count
        return count
    }
}
