import ContainerEngine
import ContainerFormat
import ModelSealCore
import Testing

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
}
