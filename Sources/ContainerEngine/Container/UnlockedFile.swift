import ContainerFormat
import Crypto
import FoundationEssentials
import ModelSealCore

/// A sealed file whose header MAC has been verified with its file key.
public struct UnlockedFile: Sendable {
    /// The file.
    public let file: SealedFile
    let schedule: KeySchedule
    let cipher: ChunkCipher

    init(file: SealedFile, schedule: KeySchedule) {
        self.file = file
        self.schedule = schedule
        self.cipher = ChunkCipher(suite: file.header.suite, key: schedule.payloadKey(salt: file.header.payloadSalt))
    }

    /// Plaintext length of the whole payload.
    public var plaintextLength: Int { file.layout.plaintextLength }

    /// The sealed metadata, or empty metadata when the file carries none.
    public func metadata() throws(SealError) -> SealedMetadata {
        guard let body = file.header.extension(.sealedMetadata)?.body else { return try SealedMetadata([:]) }
        return try SealedMetadata.open(body, with: schedule)
    }

    /// Decrypts chunks `range` in order into `sink`, batch by batch on all cores.
    ///
    /// A chunk is handed to `sink` only after it authenticated, but earlier chunks of the
    /// range may already have been written when a later one fails: callers that must not
    /// release any plaintext of a bad file use `verify()` first or a sink they discard on error.
    ///
    /// With `hashing`, also returns each chunk's Merkle leaf hash (spec/SIGNATURES.md §1), computed on the
    /// same core right after the chunk is read, so signatures cost one extra hash pass in cache.
    ///
    /// With `expected` (the `fingerprint`s a first pass verified, one per chunk of the file), every chunk of a
    /// batch is compared with them before any chunk of that batch is written: a chunk that changed since
    /// that pass fails the call, so the sink never receives a byte the first pass did not verify, and the
    /// last batch (the end of the plaintext) is written only after every chunk matched.
    @discardableResult
    public func decrypt(
        chunks range: Range<Int>? = nil, to sink: ByteSink, hashing: Bool = false,
        fingerprint: ChunkFingerprint = .leafHash, expected: [[UInt8]]? = nil,
        progress: (@Sendable (Int) -> Void)? = nil
    ) throws(SealError) -> [[UInt8]] {
        let layout = file.layout
        let range = range ?? 0..<layout.chunkCount
        guard range.lowerBound >= 0, range.upperBound <= layout.chunkCount else {
            throw .inputFailed("chunk range \(range) outside 0..<\(layout.chunkCount)")
        }
        if let expected, expected.count != layout.chunkCount {
            throw .inputFailed("internal error: \(expected.count) expected leaf hashes for \(layout.chunkCount) chunks")
        }
        var done = 0
        var leaves: [[UInt8]] = []
        let hashing = hashing || expected != nil
        // Each chunk is opened in place in its slot; the batch is written from the slots in order.
        try openChunks(
            range, hashing: hashing, fingerprint: fingerprint, take: { (_, plaintext) throws(SealError) in plaintext }
        ) {
            (batch, end) throws(SealError) in
            if let expected {
                let start = end - batch.count
                if let offset = batch.indices.first(where: { batch[$0].1 != expected[start + $0] }) {
                    throw .inputFailed(
                        "chunk \(start + offset) changed after it was verified: the file was modified while it was "
                            + "read, so the output stops here, incomplete")
                }
            }
            for (chunk, leaf) in batch {
                try SealError.writing { () throws(IOError) in try sink.write(chunk) }
                done += chunk.count
                if hashing { leaves.append(leaf) }
            }
            progress?(done)
        }
        return leaves
    }

    /// Authenticates every chunk, releasing nothing.
    ///
    /// With `hashing`, returns the chunks' Merkle leaf hashes for signature verification.
    @discardableResult
    public func verify(
        hashing: Bool = false, fingerprint: ChunkFingerprint = .leafHash, progress: (@Sendable (Int) -> Void)? = nil
    ) throws(SealError) -> [[UInt8]] {
        try decrypt(to: DiscardingSink(), hashing: hashing, fingerprint: fingerprint, progress: progress)
    }

    /// The whole plaintext in memory (for small files and tests).
    public func plaintext() throws(SealError) -> [UInt8] {
        let sink = MemorySink()
        try decrypt(to: sink)
        return sink.bytes
    }

    /// The file key schedule, for rewriting the header (`Rekey`).
    var keySchedule: KeySchedule { schedule }
}
