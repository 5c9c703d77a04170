import ContainerEngine
import ContainerFormat
import ModelSealCore
import Testing

@Suite("Rekey rewrites the header only")
struct RekeyTests {
    @Test func addAndRemoveRecipients() throws {
        let vendor = RawKey.generate()
        let oldCustomer = X25519Identity.generate()
        let newCustomer = X25519Identity.generate()
        let plaintext = patternBytes(2 * smallChunk + 3)
        let sealed = try sealInMemory(plaintext, to: [vendor, oldCustomer.recipient])
        let unlocked = try SealedFile(MemorySource(sealed)).unlock(with: [vendor])
        let sink = MemorySink()
        try Rekey.rewrite(unlocked, removing: [1], adding: [newCustomer.recipient], to: sink)
        let rekeyed = sink.bytes
        #expect(try openInMemory(rekeyed, with: [newCustomer]) == plaintext)
        #expect(try openInMemory(rekeyed, with: [vendor]) == plaintext)
        #expect(throws: SealError.self) { try openInMemory(rekeyed, with: [oldCustomer]) }
        // The payload is copied byte for byte.
        let oldHeader = try SealedFile(MemorySource(sealed)).headerBytes.count
        let newHeader = try SealedFile(MemorySource(rekeyed)).headerBytes.count
        #expect(rekeyed.dropFirst(newHeader).elementsEqual(sealed.dropFirst(oldHeader)))
    }

    @Test func refusesToRemoveEveryRecipientOrAMissingStanza() throws {
        let key = RawKey.generate()
        let unlocked = try SealedFile(MemorySource(try sealInMemory([1, 2, 3], to: [key]))).unlock(with: [key])
        #expect(throws: SealError.noRecipients) { try Rekey.header(of: unlocked, removing: [0], adding: []) }
        #expect(throws: SealError.self) { try Rekey.header(of: unlocked, removing: [5], adding: []) }
    }
}
