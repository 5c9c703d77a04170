import TestSupport
import Testing

@testable import ModelSealCore

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
        #expect(throws: JSONError.self) { try JSONParser.parse(Array(text.utf8)) }
    }

    @Test("64-bit integers survive exactly")
    func bigIntegers() throws {
        let value = try JSONParser.parse(Array("[9223372036854775807, 9223372036854775808]".utf8))
        guard case let .array(items) = value else { return }
        #expect(items[0].intValue == Int.max)
        #expect(items[1].intValue == nil)
    }
}

@Suite("One JSON: objects, caps, canonical mode")
struct JSONOptionsTests {
    @Test("objects compare as sets of members; order is kept for writing")
    func objects() throws {
        let a = try JSONParser.parse(Array(#"{"x":1,"y":[true,null]}"#.utf8))
        let b = try JSONParser.parse(Array(#"{"y":[true,null],"x":1}"#.utf8))
        #expect(a == b)
        #expect(JSONWriter.serialize(b) == #"{"y":[true,null],"x":1}"#)
        #expect(a != (try JSONParser.parse(Array(#"{"x":2,"y":[true,null]}"#.utf8))))
        var object: JSONObject = ["b": .null, "a": .integer(7)]
        object["b"] = nil
        object["c"] = .string("new")
        #expect(object.names == ["a", "c"])
    }

    @Test("caps: size before parsing, depth and container size while parsing")
    func caps() {
        let small = JSONParser.Options(maximumBytes: 8)
        #expect(throws: JSONError.self) { try JSONParser.parse(Array("[1,2,3,4,5]".utf8), options: small) }
        let shallow = JSONParser.Options(maximumDepth: 2)
        #expect((try? JSONParser.parse(Array("[[1]]".utf8), options: shallow)) != nil)
        #expect(throws: JSONError.self) { try JSONParser.parse(Array("[[[1]]]".utf8), options: shallow) }
        let narrow = JSONParser.Options(maximumElements: 2)
        #expect(throws: JSONError.self) { try JSONParser.parse(Array("[1,2,3]".utf8), options: narrow) }
    }

    @Test(
        "canonical mode accepts exactly what the canonical writer writes",
        arguments: [
            (#"{"a":[-3,0,"x"],"b":{}}"#, true), (#"{"b":1,"a":2}"#, false), (#"{"a": 1}"#, false),
            (#"{"a":1.5}"#, false), (#"{"a":-0}"#, false), (#"{"a":"\u0041"}"#, false),
            (#"{"a":9007199254740992}"#, false),
            (#"{"a":-9007199254740991}"#, true),
        ])
    func canonical(_ testCase: (String, Bool)) {
        let bytes = Array(testCase.0.utf8)
        let parsed = try? JSONParser.parse(bytes, options: .init(canonical: true))
        #expect((parsed != nil) == testCase.1, "\(testCase.0)")
        if let parsed { #expect(JSONWriter.canonical(parsed) == bytes) }
    }

    @Test("seeded round trip: parse(serialize(v)) == v, compact and pretty")
    func roundTrip() throws {
        var generator = SplitMix64(seed: 0x5EA1)
        for _ in 0..<200 {
            let value = randomValue(&generator, depth: 0)
            #expect(try JSONParser.parse(Array(JSONWriter.serialize(value).utf8)) == value)
            #expect(try JSONParser.parse(Array(JSONWriter.serialize(value, pretty: true).utf8)) == value)
        }
    }

    func randomValue(_ generator: inout SplitMix64, depth: Int) -> JSONValue {
        switch generator.next() % (depth > 3 ? 4 : 6) {
        case 0: return .null
        case 1: return .bool(generator.next() % 2 == 0)
        case 2: return .integer(Int64(bitPattern: generator.next()) >> 10)
        case 3:
            let scalars = (0..<(generator.next() % 8)).compactMap { _ in
                Unicode.Scalar(UInt32(generator.next() % 0x2FF))
            }
            return .string(String(String.UnicodeScalarView(scalars)))
        case 4: return .array((0..<(generator.next() % 4)).map { _ in randomValue(&generator, depth: depth + 1) })
        default:
            var object = JSONObject()
            for index in 0..<(generator.next() % 4) { object["k\(index)"] = randomValue(&generator, depth: depth + 1) }
            return .object(object)
        }
    }
}
