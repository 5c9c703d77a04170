import ContainerEngine
import ContainerFormat
import ModelSealCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Decrypting into caller memory and sealed memfds")
struct InMemoryDecryptTests {
    static let sizes = [0, 1, smallChunk, 3 * smallChunk + 17, 40 * smallChunk + 5]

    @Test(arguments: sizes)
    func decryptIntoBuffer(size: Int) throws {
        let key = RawKey.generate()
        let plaintext = patternBytes(size, seed: UInt64(size) + 11)
        let unlocked = try SealedFile(MemorySource(try sealInMemory(plaintext, to: [key]))).unlock(with: [key])
        var buffer = [UInt8](repeating: 0xEE, count: size + 3)
        let leaves = try buffer.withUnsafeMutableBytes { try unlocked.decrypt(into: $0) }
        #expect(leaves.isEmpty, "no leaf hashes unless asked for")
        #expect(Array(buffer[..<size]) == plaintext)
        #expect(buffer[size...].allSatisfy { $0 == 0xEE }, "bytes past the plaintext are left alone")
    }

    @Test func tooSmallBufferIsRefusedBeforeAnyWork() throws {
        let key = RawKey.generate()
        let unlocked = try SealedFile(MemorySource(try sealInMemory(patternBytes(100), to: [key]))).unlock(with: [key])
        var buffer = [UInt8](repeating: 0xEE, count: 99)
        #expect(throws: SealError.self) { try buffer.withUnsafeMutableBytes { try unlocked.decrypt(into: $0) } }
        #expect(buffer.allSatisfy { $0 == 0xEE })
    }

    @Test func failedChunkZeroesEverythingWritten() throws {
        let key = RawKey.generate()
        let size = 10 * smallChunk
        var sealed = try sealInMemory(patternBytes(size), to: [key])
        sealed[sealed.count - 20] ^= 1  // the last chunk: every earlier chunk decrypts first
        let unlocked = try SealedFile(MemorySource(sealed)).unlock(with: [key])
        var buffer = [UInt8](repeating: 0xEE, count: size)
        #expect(throws: SealError.chunkAuthenticationFailed(index: 9)) {
            try buffer.withUnsafeMutableBytes { try unlocked.decrypt(into: $0) }
        }
        #expect(buffer.allSatisfy { $0 == 0 })
    }

    @Test func borrowedBytesSealLikeOwnedBytes() throws {
        let key = RawKey.generate()
        let plaintext = patternBytes(3 * smallChunk + 1, seed: 5)
        let sink = MemorySink()
        var options = SealOptions()
        options.chunkLog2 = smallChunkLog2
        try plaintext.withUnsafeBytes { bytes in
            _ = try Sealer.seal(BorrowedBytesSource(bytes), to: sink, recipients: [key], options: options)
        }
        #expect(try openInMemory(sink.bytes, with: [key]) == plaintext)
    }

    #if canImport(Glibc)
        @Test(arguments: [0, 5 * smallChunk + 3])
        func memfdHoldsThePlaintextAndIsSealed(size: Int) throws {
            let key = RawKey.generate()
            let plaintext = patternBytes(size, seed: 9)
            let unlocked = try SealedFile(MemorySource(try sealInMemory(plaintext, to: [key]))).unlock(with: [key])
            let descriptor = try MemoryFile.create(name: "test", size: unlocked.plaintextLength, inheritable: false) {
                (buffer) throws(SealError) in try unlocked.decrypt(into: buffer)
            }
            defer { close(descriptor) }
            var read = [UInt8](repeating: 0, count: size + 1)
            let count = read.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
            #expect(count == size)
            #expect(Array(read[..<size]) == plaintext)
            // Sealed: no writes, no growth, no shrinking, not even by its creator.
            #expect(pwrite(descriptor, "x", 1, 0) == -1 && errno == EPERM)
            #expect(ftruncate(descriptor, off_t(size + 1)) == -1)
            if size > 0 { #expect(ftruncate(descriptor, 0) == -1) }
            #expect(fcntl(descriptor, F_GETFD) & FD_CLOEXEC != 0)
            let seals = fcntl(descriptor, 1034 /* F_GET_SEALS */)
            #expect(seals == 0x0F)
        }

        @Test func memfdIsClosedWhenFillingFails() throws {
            let before = try openDescriptorCount()
            #expect(throws: SealError.self) {
                _ = try MemoryFile.create(name: "test", size: 4096, inheritable: true) { (_) throws(SealError) in
                    throw .chunkAuthenticationFailed(index: 0)
                }
            }
            #expect(try openDescriptorCount() == before)
        }

        private func openDescriptorCount() throws -> Int {
            guard let directory = opendir("/proc/self/fd") else { throw SealError.inputFailed("no /proc") }
            defer { closedir(directory) }
            var count = 0
            while readdir(directory) != nil { count += 1 }
            return count
        }
    #endif
}
