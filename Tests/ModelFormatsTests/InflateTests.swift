import ModelSealCore
import Testing

@testable import ModelFormats

@Suite("Inflate")
struct InflateTests {
    @Test("stored, fixed and dynamic blocks decode; output is capped at the declared size")
    func blocks() throws {
        // Stored block: BFINAL=1, BTYPE=00, LEN=3, NLEN=~3, "abc".
        let stored: [UInt8] = [0x01, 0x03, 0x00, 0xFC, 0xFF, 0x61, 0x62, 0x63]
        #expect(try Inflate.decompress(stored, expectedSize: 3, offset: 0) == Array("abc".utf8))
        #expect(throws: ModelFormatsError.self) { try Inflate.decompress(stored, expectedSize: 2, offset: 0) }
        // Fixed Huffman "a" repeated via a back-reference (zlib output for "aaaaaaaaaa", raw deflate).
        let fixed: [UInt8] = [0x4B, 0x4C, 0x84, 0x01, 0x00]
        #expect(
            try Inflate.decompress(fixed, expectedSize: 10, offset: 0) == Array(repeating: UInt8(ascii: "a"), count: 10)
        )
        #expect(throws: ModelFormatsError.self) { try Inflate.decompress([0x07], expectedSize: 10, offset: 0) }
    }
}
