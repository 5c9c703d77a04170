import ContainerEngine
import ContainerFormat
import ModelSealCore
import Testing

@Suite("Seal and open round trips")
struct RoundTripTests {
    static let sizes = [0, 1, smallChunk - 1, smallChunk, smallChunk + 1, 5 * smallChunk + 123]

    @Test(arguments: sizes)
    func rawKey(size: Int) throws {
        let key = RawKey.generate()
        let plaintext = patternBytes(size, seed: UInt64(size) + 1)
        let sealed = try sealInMemory(plaintext, to: [key])
        #expect(try openInMemory(sealed, with: [key]) == plaintext)
        let layout = try SealedFile(MemorySource(sealed)).layout
        #expect(layout.chunkCount == max(1, (size + smallChunk - 1) / smallChunk))
        #expect(layout.plaintextLength == size)
    }

    /// Plaintext bytes in one sealing batch with 64 KiB chunks: the sealer double-buffers by batch.
    static let batchBytes = Parallel.batchCount(itemSize: smallChunk) * smallChunk

    /// Sizes around the batch boundaries, where the look-ahead byte moves between the two buffers.
    @Test(
        arguments: [
            batchBytes - 1, batchBytes, batchBytes + 1, 2 * batchBytes, 2 * batchBytes + 1, 3 * batchBytes + 12_345,
        ])
    func acrossBatches(size: Int) throws {
        let key = RawKey.generate()
        let plaintext = patternBytes(size, seed: UInt64(size) + 11)
        let sealed = try sealInMemory(plaintext, to: [key])
        #expect(try openInMemory(sealed, with: [key]) == plaintext)
        #expect(try SealedFile(MemorySource(sealed)).layout.chunkCount == max(1, (size + smallChunk - 1) / smallChunk))
    }

    @Test(arguments: sizes)
    func x25519(size: Int) throws {
        let identity = X25519Identity.generate()
        let plaintext = patternBytes(size, seed: UInt64(size) + 2)
        let sealed = try sealInMemory(plaintext, to: [identity.recipient])
        #expect(try openInMemory(sealed, with: [identity]) == plaintext)
    }

    @Test(arguments: [0, smallChunk + 1])
    func passphrase(size: Int) throws {
        let plaintext = patternBytes(size, seed: 3)
        let sealed = try sealInMemory(plaintext, to: [try cheapPassphrase()])
        #expect(try openInMemory(sealed, with: [try Passphrase("correct horse battery staple")]) == plaintext)
        #expect(throws: SealError.noMatchingIdentity(stanzaTypes: ["scrypt"])) {
            try openInMemory(sealed, with: [try Passphrase("wrong")])
        }
    }

    @Test(arguments: CipherSuite.allCases)
    func suites(suite: CipherSuite) throws {
        let key = RawKey.generate()
        let plaintext = patternBytes(3 * smallChunk + 5, seed: 4)
        let sealed = try sealInMemory(plaintext, to: [key], suite: suite)
        #expect(try SealedFile(MemorySource(sealed)).header.suite == suite)
        #expect(try openInMemory(sealed, with: [key]) == plaintext)
    }

    @Test func everyRecipientOfOneFileOpensIt() throws {
        let alice = X25519Identity.generate()
        let bob = X25519Identity.generate()
        let key = RawKey.generate()
        let plaintext = patternBytes(2 * smallChunk + 7, seed: 5)
        let sealed = try sealInMemory(plaintext, to: [alice.recipient, key, try cheapPassphrase(), bob.recipient])
        #expect(try SealedFile(MemorySource(sealed)).header.stanzas.count == 4)
        #expect(try openInMemory(sealed, with: [alice]) == plaintext)
        #expect(try openInMemory(sealed, with: [bob]) == plaintext)
        #expect(try openInMemory(sealed, with: [key]) == plaintext)
        #expect(try openInMemory(sealed, with: [try Passphrase("correct horse battery staple")]) == plaintext)
        #expect(try openInMemory(sealed, with: [X25519Identity.generate(), RawKey.generate(), bob]) == plaintext)
    }

    @Test func wrongKeysFindNoStanza() throws {
        let sealed = try sealInMemory(patternBytes(10), to: [RawKey.generate(), X25519Identity.generate().recipient])
        #expect(throws: SealError.noMatchingIdentity(stanzaTypes: ["raw-key", "x25519-hpke"])) {
            try openInMemory(sealed, with: [RawKey.generate(), X25519Identity.generate()])
        }
    }

    @Test func freshKeysAndSaltsEveryTime() throws {
        let key = RawKey.generate()
        let plaintext = patternBytes(100)
        let first = try sealInMemory(plaintext, to: [key])
        let second = try sealInMemory(plaintext, to: [key])
        #expect(first != second)
        #expect(
            try SealedFile(MemorySource(first)).header.payloadSalt
                != SealedFile(MemorySource(second)).header.payloadSalt)
    }

    @Test func sealedMetadataRoundTripsAndIsEncrypted() throws {
        let key = RawKey.generate()
        let metadata = ["name": "resnet50-secret-architecture.pt", "content-type": "pytorch-zip"]
        let sealed = try sealInMemory(patternBytes(10), to: [key], metadata: metadata)
        let unlocked = try SealedFile(MemorySource(sealed)).unlock(with: [key])
        #expect(try unlocked.metadata().entries == metadata)
        let name = Array("resnet50-secret-architecture".utf8)
        #expect(!sealed.indices.dropLast(name.count).contains { sealed[$0..<($0 + name.count)].elementsEqual(name) })
    }

    @Test func chunkRangesDecryptAlone() throws {
        let key = RawKey.generate()
        let plaintext = patternBytes(4 * smallChunk + 9, seed: 6)
        let unlocked = try SealedFile(MemorySource(try sealInMemory(plaintext, to: [key]))).unlock(with: [key])
        let sink = MemorySink()
        try unlocked.decrypt(chunks: 2..<5, to: sink)
        #expect(sink.bytes == Array(plaintext[(2 * smallChunk)...]))
    }

    @Test func sealsFromAStreamOfUnknownLength() throws {
        // A source that returns a few bytes at a time, like a pipe.
        final class Trickle: ByteStream {
            var bytes: [UInt8]
            init(_ bytes: [UInt8]) { self.bytes = bytes }
            func read(into buffer: UnsafeMutableRawBufferPointer) throws(IOError) -> Int {
                let count = min(buffer.count, bytes.count, 4099)
                for index in 0..<count { buffer[index] = bytes[index] }
                bytes.removeFirst(count)
                return count
            }
        }
        let key = RawKey.generate()
        let plaintext = patternBytes(3 * smallChunk, seed: 7)
        var options = SealOptions()
        options.chunkLog2 = smallChunkLog2
        let sink = MemorySink()
        _ = try Sealer.seal(Trickle(plaintext), to: sink, recipients: [key], options: options)
        #expect(try SealedFile(MemorySource(sink.bytes)).layout.chunkCount == 3)
        #expect(try openInMemory(sink.bytes, with: [key]) == plaintext)
    }

    @Test func sealingNeedsARecipient() {
        #expect(throws: SealError.noRecipients) { try sealInMemory([1], to: []) }
    }
}
