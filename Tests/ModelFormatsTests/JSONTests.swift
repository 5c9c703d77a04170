import Testing

@testable import ModelFormats

@Suite("Strict JSON")
struct JSONTests {
    @Test("parses and re-serialises in document order")
    func roundTrip() throws {
        let text = #"{"b":[1,-2.5e3,true,null],"a":{"x":"\u00e9\ud83d\ude00\n"}}"#
        let value = try JSONParser.parse(Array(text.utf8))
        #expect(value["a"]?["x"]?.stringValue == "é😀\n")
        #expect(JSONWriter.serialize(value) == #"{"b":[1,-2.5e3,true,null],"a":{"x":"é😀\n"}}"#)
        #expect(try JSONParser.parse(Array(JSONWriter.serialize(value, pretty: true).utf8)) == value)
    }

    @Test(
        "rejects what RFC 8259 or our rules reject",
        arguments: [
            #"{"a":1,"a":2}"#, "[1,]", "{", "01", "1 2", #""\x""#, "\"a\u{01}\"",
            "[" + String(repeating: "[", count: 70),
            #""\ud800""#, "tru", "-", "1.", "1e",
        ])
    func rejects(text: String) {
        #expect(throws: ModelFormatsError.self) { try JSONParser.parse(Array(text.utf8)) }
    }

    @Test("64-bit integers survive exactly")
    func bigIntegers() throws {
        let value = try JSONParser.parse(Array("[9223372036854775807, 9223372036854775808]".utf8))
        guard case let .array(items) = value else { return }
        #expect(items[0].intValue == Int.max)
        #expect(items[1].intValue == nil)
    }
}

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
