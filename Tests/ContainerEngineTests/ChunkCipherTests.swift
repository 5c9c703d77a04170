import ContainerEngine
import ContainerFormat
import Crypto
import FoundationEssentials
import Testing

/// The chunk cipher calls BoringSSL's AEAD through the symbols swift-crypto links (CBoringAEAD): these tests
/// hold it to swift-crypto's public AES.GCM and ChaChaPoly, byte for byte, both ways.
@Suite("Chunk cipher: in place, and equal to swift-crypto's AEADs")
struct ChunkCipherTests {
    static let cases: [(CipherSuite, Int)] = CipherSuite.allCases.flatMap { suite in
        [0, 1, 15, 16, 4097, 1 << 20].map { (suite, $0) }
    }

    /// swift-crypto's sealing of `plaintext` as chunk `index`: ciphertext, then tag.
    static func reference(_ suite: CipherSuite, _ key: SymmetricKey, _ plaintext: [UInt8], index: Int, isLast: Bool)
        throws -> [UInt8]
    {
        let nonce = ChunkCipher.nonce(index: index, isLast: isLast)
        switch suite {
        case .aes256GCM:
            let box = try AES.GCM.seal(plaintext, using: key, nonce: AES.GCM.Nonce(data: nonce))
            return Array(box.ciphertext) + Array(box.tag)
        case .chaCha20Poly1305:
            let box = try ChaChaPoly.seal(plaintext, using: key, nonce: ChaChaPoly.Nonce(data: nonce))
            return Array(box.ciphertext) + Array(box.tag)
        }
    }

    @Test(arguments: cases)
    func sealsWhatSwiftCryptoSealsAndOpensIt(suite: CipherSuite, size: Int) throws {
        let key = SymmetricKey(size: .bits256)
        let cipher = ChunkCipher(suite: suite, key: key)
        let plaintext = patternBytes(size, seed: UInt64(size) + 3)
        let sealed = try plaintext.withUnsafeBytes { try cipher.seal($0, index: 7, isLast: size == 15) }
        #expect(sealed == (try Self.reference(suite, key, plaintext, index: 7, isLast: size == 15)))
        // Out of place, into a buffer of exactly the plaintext's length.
        var opened = [UInt8](repeating: 0xEE, count: size)
        try sealed.withUnsafeBytes { sealed in
            try opened.withUnsafeMutableBytes { try cipher.open(sealed, into: $0, index: 7, isLast: size == 15) }
        }
        #expect(opened == plaintext)
        // In place: the plaintext ends up in the sealed chunk's first bytes.
        var slot = sealed
        try slot.withUnsafeMutableBytes { slot in
            let plaintextPart = UnsafeMutableRawBufferPointer(rebasing: slot[..<size])
            try cipher.open(UnsafeRawBufferPointer(slot), into: plaintextPart, index: 7, isLast: size == 15)
        }
        #expect(Array(slot[..<size]) == plaintext)
    }

    @Test(arguments: cases)
    func aFailedOpenLeavesZerosAndNamesTheChunk(suite: CipherSuite, size: Int) throws {
        let key = SymmetricKey(size: .bits256)
        let cipher = ChunkCipher(suite: suite, key: key)
        let plaintext = patternBytes(size, seed: 5)
        let sealed = try plaintext.withUnsafeBytes { try cipher.seal($0, index: 2, isLast: false) }
        let attempts = [(sealed.count - 1, 2, false), (0, 2, false), (size / 2, 3, false), (0, 2, true)]
        for (damage, index, isLast) in attempts {
            var bad = sealed
            if index == 2 && !isLast { bad[damage] ^= 0x40 }  // else: the right bytes under another nonce
            var opened = [UInt8](repeating: 0xEE, count: size)
            #expect(throws: SealError.chunkAuthenticationFailed(index: index)) {
                try bad.withUnsafeBytes { bad in
                    try opened.withUnsafeMutableBytes { try cipher.open(bad, into: $0, index: index, isLast: isLast) }
                }
            }
            #expect(opened.allSatisfy { $0 == 0 }, "no unauthenticated byte is left in the output")
        }
    }

    @Test func wrongLengthsAreRefusedWithoutWriting() throws {
        let cipher = ChunkCipher(suite: .aes256GCM, key: SymmetricKey(size: .bits256))
        let plaintext = patternBytes(100)
        var short = [UInt8](repeating: 0xEE, count: 115)
        #expect(throws: SealError.self) {
            try plaintext.withUnsafeBytes { plaintext in
                try short.withUnsafeMutableBytes { try cipher.seal(plaintext, into: $0, index: 0, isLast: true) }
            }
        }
        let tooShortToHoldATag = [UInt8](repeating: 1, count: 15)
        var nothing = [UInt8]()
        #expect(throws: SealError.chunkAuthenticationFailed(index: 0)) {
            try tooShortToHoldATag.withUnsafeBytes { sealed in
                try nothing.withUnsafeMutableBytes { try cipher.open(sealed, into: $0, index: 0, isLast: true) }
            }
        }
    }
}
