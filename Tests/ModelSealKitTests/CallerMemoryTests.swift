import ContainerEngine
import ModelSealCore
import ModelSealKit
import ModelSealSigning
import Synchronization
import Testing

/// Issue 13.10: the C ABI's `decrypt_into` (and Python's `load`) decrypt into caller memory that other
/// threads can read while the call runs (ctypes releases the GIL). A chunk a key holder re-sealed after
/// signing authenticates, so only its signed hash can stop it: it must never reach that memory, not
/// even for the moment between the copy and the final comparison.
@Suite("Decrypting into caller memory releases only signed chunks, even during the call")
struct CallerMemoryTests {
    @Test("a forged chunk of a signed file never appears in the buffer, and the call fails with 22")
    func forgedChunkNeverReachesTheBuffer() throws {
        let signer = try SigningKey.generate(.ed25519)
        let fixture = try SealedFixture(signers: [signer])
        let forged = try fixture.forgingChunk(2, of: fixture.unsigned) + fixture.trailer
        var opener = ModelOpener(identities: [fixture.key])
        opener.trustedKeys = [signer.verifyingKey]
        let prepared = try opener.prepare(MemorySource(forged))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: prepared.plaintextLength, alignment: 64)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        // The forged chunk's plaintext is 0x41 bytes; the sealed plaintext never has 64 of them in a row.
        let start = 2 * 65536
        nonisolated(unsafe) let view = UnsafeRawBufferPointer(buffer)
        let seen = Mutex(false)
        // Progress runs after each batch is in the buffer: what another thread could read at that moment.
        let error = #expect(throws: SigningError.self) {
            try prepared.decrypt(into: buffer) { _ in
                if view[start..<(start + 64)].allSatisfy({ $0 == 0x41 }) { seen.withLock { $0 = true } }
            }
        }
        #expect(StatusCode(for: try #require(error)) == .invalidSignature)
        #expect(!seen.withLock { $0 })
        #expect(buffer.allSatisfy { $0 == 0 })
    }
}
