import ContainerFormat
import ModelSealCore
import Testing

@Suite("String(strictUTF8:)")
struct StrictUTF8Tests {
    @Test(
        "invalid sequences are refused, valid ones kept byte for byte",
        arguments: [
            ([0xFF], false), ([0xE2, 0x82], false), ([0xF0, 0x9F, 0x98], false), ([0xC0, 0xAF], false),
            ([0xED, 0xA0, 0x80], false), ([0x61, 0x80, 0x62], false), ([0xF4, 0x90, 0x80, 0x80], false),
            ([0xEF, 0xBF, 0xBD], true), ([0xC3, 0xA9], true), ([0xF0, 0x9F, 0x98, 0x80], true), ([], true),
            (Array("layer0.weight".utf8), true),
        ] as [([UInt8], Bool)])
    func cases(bytes: [UInt8], valid: Bool) {
        let text = String(strictUTF8: bytes)
        #expect((text != nil) == valid)
        if let text { #expect(Array(text.utf8) == bytes) }
    }

    @Test("agrees with the standard library's validating initialiser on random bytes")
    func differential() {
        var generator = SystemRandomNumberGenerator()
        // Bytes biased towards UTF-8 lead and continuation bytes so both outcomes are common.
        let alphabet: [UInt8] = [
            0x41, 0x7F, 0x80, 0xBF, 0xC2, 0xC3, 0xDF, 0xE0, 0xE2, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF,
        ]
        var validSeen = 0
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...6, using: &generator)
            let bytes = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }
            let expected = String(validating: bytes, as: UTF8.self)
            #expect(String(strictUTF8: bytes) == expected, "\(bytes)")
            #expect(String(strictUTF8: bytes[...]) == expected, "\(bytes)")
            if expected != nil { validSeen += 1 }
        }
        #expect(validSeen > 1000)
    }
}
