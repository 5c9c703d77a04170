import ContainerEngine
import ContainerFormat
import ModelSealCore
import Synchronization
import Testing

/// A memory source that counts the reads at each offset (one per chunk opened).
final class CountingSource: ByteSource {
    let bytes: MemorySource
    let counts = Mutex<[Int: Int]>([:])

    init(_ bytes: [UInt8]) { self.bytes = MemorySource(bytes) }

    var size: Int { bytes.size }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(IOError) {
        counts.withLock { $0[offset, default: 0] += 1 }
        try bytes.read(into: buffer, at: offset)
    }
}

@Suite("Verified random access (spec/FOLDERS.md §3)")
struct RandomAccessTests {
    static let size = 7 * smallChunk + 123

    static let ranges: [Range<Int>] = [
        0..<0, 0..<1, 0..<smallChunk, smallChunk - 1..<smallChunk + 1, 3 * smallChunk + 5..<5 * smallChunk,
        size - 1..<size, 0..<size, 2 * smallChunk..<2 * smallChunk + 1,
    ]

    @Test(arguments: ranges)
    func readsExactlyTheRange(range: Range<Int>) throws {
        let key = RawKey.generate()
        let plaintext = patternBytes(Self.size, seed: 19)
        let unlocked = try SealedFile(MemorySource(try sealInMemory(plaintext, to: [key]))).unlock(with: [key])
        var buffer = [UInt8](repeating: 0xEE, count: range.count)
        try buffer.withUnsafeMutableBytes { try unlocked.read(at: range.lowerBound, into: $0) }
        #expect(buffer == Array(plaintext[range]))
        #expect(
            unlocked.chunks(covering: range).count
                == (range.isEmpty ? 0 : (range.upperBound - 1) / smallChunk - range.lowerBound / smallChunk + 1))
    }

    @Test func rangesPastTheEndAreRefused() throws {
        let key = RawKey.generate()
        let unlocked = try SealedFile(MemorySource(try sealInMemory(patternBytes(100), to: [key]))).unlock(with: [key])
        var buffer = [UInt8](repeating: 0, count: 2)
        #expect(throws: SealError.self) { try buffer.withUnsafeMutableBytes { try unlocked.read(at: 99, into: $0) } }
        #expect(throws: SealError.self) { try buffer.withUnsafeMutableBytes { try unlocked.read(at: -1, into: $0) } }
        #expect(throws: SealError.self) {
            try buffer.withUnsafeMutableBytes { try unlocked.read(at: Int.max, into: $0) }
        }
    }

    @Test func aTamperedChunkFailsOnlyTheRangesThatCoverIt() throws {
        let key = RawKey.generate()
        let plaintext = patternBytes(Self.size, seed: 3)
        var sealed = try sealInMemory(plaintext, to: [key])
        let file = try SealedFile(MemorySource(sealed))
        sealed[file.headerBytes.count + file.layout.offset(ofChunk: 4) + 9] ^= 1
        let unlocked = try SealedFile(MemorySource(sealed)).unlock(with: [key])
        var before = [UInt8](repeating: 0, count: smallChunk)
        try before.withUnsafeMutableBytes { try unlocked.read(at: smallChunk, into: $0) }
        #expect(before == Array(plaintext[smallChunk..<2 * smallChunk]))
        var covering = [UInt8](repeating: 0xEE, count: 3 * smallChunk)
        #expect(throws: SealError.chunkAuthenticationFailed(index: 4)) {
            try covering.withUnsafeMutableBytes { try unlocked.read(at: 3 * smallChunk, into: $0) }
        }
        #expect(covering.allSatisfy { $0 == 0 }, "nothing of a failed range is left in the buffer")
    }

    @Test func aChunkThatDiffersFromTheSignedListIsNotReleased() throws {
        let key = RawKey.generate()
        let plaintext = patternBytes(Self.size, seed: 4)
        let sealed = try sealInMemory(plaintext, to: [key])
        let unlocked = try SealedFile(MemorySource(sealed)).unlock(with: [key])
        var expected = try unlocked.verify(hashing: true)
        expected[2] = [UInt8](repeating: 7, count: 32)
        var buffer = [UInt8](repeating: 0xEE, count: 10)
        #expect(throws: SealError.chunkNotSigned(index: 2)) {
            try buffer.withUnsafeMutableBytes { try unlocked.read(at: 2 * smallChunk, into: $0, expected: expected) }
        }
        #expect(buffer.allSatisfy { $0 == 0 })
        try buffer.withUnsafeMutableBytes { try unlocked.read(at: 0, into: $0, expected: expected) }
        #expect(buffer == Array(plaintext[0..<10]))
    }

    @Test func aFileCutAtAChunkBoundaryFailsTheLastChunkCheck() throws {
        let key = RawKey.generate()
        let sealed = try sealInMemory(patternBytes(Self.size, seed: 5), to: [key])
        let file = try SealedFile(MemorySource(sealed))
        try file.unlock(with: [key]).checkLastChunk()
        let cut = Array(sealed[..<(file.headerBytes.count + file.layout.offset(ofChunk: 7))])
        let unlocked = try SealedFile(MemorySource(cut)).unlock(with: [key])
        #expect(throws: SealError.chunkAuthenticationFailed(index: 6)) { try unlocked.checkLastChunk() }
        // Without the check, a read of an earlier range would succeed: that is why openers check first.
        var buffer = [UInt8](repeating: 0, count: 4)
        try buffer.withUnsafeMutableBytes { try unlocked.read(at: 0, into: $0) }
    }

    /// Buffers for `ranges`, filled with 0xEE, as a loader giving each tensor its own memory has them.
    final class Buffers {
        let ranges: [Range<Int>]
        let memory: [UnsafeMutableRawBufferPointer]

        init(_ ranges: [Range<Int>]) {
            self.ranges = ranges
            memory = ranges.map { range in
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: range.count, alignment: 16)
                buffer.initializeMemory(as: UInt8.self, repeating: 0xEE)
                return buffer
            }
        }

        deinit { memory.forEach { $0.deallocate() } }

        var extents: [PlaintextExtent] {
            zip(ranges, memory).map { PlaintextExtent(offset: $0.lowerBound, buffer: $1) }
        }

        func all(_ byte: UInt8) -> Bool { memory.allSatisfy { $0.allSatisfy { $0 == byte } } }
    }

    @Test func extentsFillEachBufferAndOpenEachChunkOnce() throws {
        let key = RawKey.generate()
        let plaintext = patternBytes(Self.size, seed: 21)
        let sealed = try sealInMemory(plaintext, to: [key])
        let source = CountingSource(sealed)
        let file = try SealedFile(source)
        let unlocked = try file.unlock(with: [key])
        // Tensors tiling most of the file: several inside one chunk, one spanning three chunks, an empty one, a
        // gap (chunk 6 is not asked for), given out of order.
        let buffers = Buffers(
            [
                5 * smallChunk - 7..<5 * smallChunk + 9, 3..<40, 40..<40, 40..<smallChunk + 1,
                smallChunk + 1..<4 * smallChunk + 2, 4 * smallChunk + 2..<5 * smallChunk - 7,
                7 * smallChunk..<Self.size,
            ].reversed())
        source.counts.withLock { $0 = [:] }
        try unlocked.read(extents: buffers.extents)
        for (range, buffer) in zip(buffers.ranges, buffers.memory) {
            #expect(Array(buffer) == Array(plaintext[range]), "\(range)")
        }
        let reads = source.counts.withLock { $0 }
        let chunks = [0, 1, 2, 3, 4, 5, 7].map { file.headerBytes.count + file.layout.offset(ofChunk: $0) }
        #expect(Set(reads.keys) == Set(chunks), "exactly the chunks asked for are read")
        #expect(reads.values.allSatisfy { $0 == 1 }, "each of them once")
    }

    @Test func overlappingOrOutsideExtentsAreRefusedBeforeAnythingIsWritten() throws {
        let key = RawKey.generate()
        let unlocked = try SealedFile(MemorySource(try sealInMemory(patternBytes(Self.size), to: [key])))
            .unlock(with: [key])
        for ranges: [Range<Int>] in [[0..<10, 9..<12], [100..<200, 0..<101], [0..<4, Self.size..<Self.size + 1]] {
            let buffers = Buffers(ranges)
            #expect(throws: SealError.self) { try unlocked.read(extents: buffers.extents) }
            #expect(buffers.all(0xEE))
        }
    }

    @Test func aFailingChunkZeroesEveryExtent() throws {
        let key = RawKey.generate()
        let plaintext = patternBytes(Self.size, seed: 22)
        let clean = try sealInMemory(plaintext, to: [key])
        var sealed = clean
        let file = try SealedFile(MemorySource(sealed))
        sealed[file.headerBytes.count + file.layout.offset(ofChunk: 6) + 3] ^= 1
        let ranges = [0..<smallChunk, smallChunk..<6 * smallChunk + 1, 6 * smallChunk + 1..<Self.size]
        let tampered = Buffers(ranges)
        #expect(throws: SealError.chunkAuthenticationFailed(index: 6)) {
            try SealedFile(MemorySource(sealed)).unlock(with: [key]).read(extents: tampered.extents)
        }
        #expect(tampered.all(0), "nothing of a failed call is left in any buffer")
        // A chunk that authenticates but is not the signed one (a signed file's leaf list).
        let unlocked = try SealedFile(MemorySource(clean)).unlock(with: [key])
        var expected = try unlocked.verify(hashing: true)
        expected[1] = [UInt8](repeating: 7, count: 32)
        let unsigned = Buffers(ranges)
        #expect(throws: SealError.chunkNotSigned(index: 1)) {
            try unlocked.read(extents: unsigned.extents, expected: expected)
        }
        #expect(unsigned.all(0))
    }
}
