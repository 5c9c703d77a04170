import ModelSealCore
import Testing

@testable import ModelSealEnvironment

@Suite("Canonical JSON and the lock schema")
struct CanonicalJSONTests {
    @Test("a lock encodes to golden canonical bytes and decodes back")
    func golden() throws {
        let lock = Fixtures.lock(distributions: [("numpy", "2.4.6")], cuda: nil)
        let expected =
            #"{"conda":null,"distributions":[{"name":"numpy","version":"2.4.6"}],"platform":{"machine":"x86_64","system":"linux"},"#
            + #""python":{"implementation":"cpython","version":"3.11.7"},"schema":"modelseal-env/1","torch":null}"#
        #expect(String(decoding: lock.canonicalBytes(), as: UTF8.self) == expected)
        #expect(try EnvironmentLock.parseCanonical(lock.canonicalBytes()) == lock)
    }

    @Test("round trip with conda facts, a spec and every optional torch field")
    func roundTrip() throws {
        let spec = try EnvironmentYAML.parse(Array(Fixtures.environmentYML.utf8))
        let conda = EnvironmentLock.Conda(
            subdir: "linux-64",
            packages: [.init(name: "mkl", version: "2023.1.0", build: "h213fc3f_46344", channel: "pkgs/main")],
            spec: spec)
        let lock = Fixtures.lock(conda: conda)
        #expect(try EnvironmentLock.parseCanonical(lock.canonicalBytes()) == lock)
    }

    @Test("strings escape as RFC 8785 says")
    func escaping() {
        let bytes = JSONWriter.canonical(.string("a\"b\\c\u{08}\u{0C}\n\r\t\u{01}\u{1F}é/"))
        #expect(bytes.map { String(decoding: $0, as: UTF8.self) } == #""a\"b\\c\b\f\n\r\t\u0001\u001fé/""#)
    }

    @Test("members sort by name; numbers must be canonical integers")
    func ordering() {
        let value = JSONValue.object([("b", .number("1")), ("a", .number("0")), ("A", .null)])
        #expect(JSONWriter.canonical(value).map { String(decoding: $0, as: UTF8.self) } == #"{"A":null,"a":0,"b":1}"#)
        #expect(JSONWriter.canonical(.number("01")) == nil)
        #expect(JSONWriter.canonical(.number("1.0")) == nil)
        #expect(JSONWriter.canonical(.number("9007199254740992")) == nil)
    }

    @Test("a lock file with whitespace parses, but is not canonical for a header")
    func whitespace() throws {
        let lock = Fixtures.lock()
        var pretty = Array(
            String(decoding: lock.canonicalBytes(), as: UTF8.self).replacingOccurrences(",", ",\n  ").utf8)
        pretty.append(0x0A)
        #expect(try EnvironmentLock.parse(pretty) == lock)
        #expect(throws: EnvironmentError.self) { try EnvironmentLock.parseCanonical(pretty) }
    }

    @Test(
        "malformed JSON is refused with a reason",
        arguments: [
            "", "{", "[1,]", "{\"a\":1,}", "{\"a\":1 \"b\":2}", "{\"a\":1}{", "{\"a\":1,\"a\":2}", "\"\\ud800\"",
            "\"\\udc00\"", "\"\\x\"", "01", "1.", "-", "1e", "tru", "nul", "\"a\u{01}b\"",
            "[" + String(repeating: "[", count: 40) + "]",
        ])
    func malformedJSON(text: String) {
        #expect(throws: JSONError.self) { try JSONParser.parse(Array(text.utf8)) }
    }

    @Test(
        "invalid UTF-8 inside strings is refused",
        arguments: [[0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xE2, 0x82]])
    func invalidUTF8(sequence: [UInt8]) {
        #expect(throws: JSONError.self) { try JSONParser.parse([0x22] + sequence + [0x22]) }
    }

    @Test(
        "lock schema violations are refused",
        arguments: [
            (
                "extra member",
                #"{"conda":null,"distributions":[],"extra":1,"platform":{"machine":"x","system":"y"},"python":{"implementation":"cpython","version":"3.11.7"},"schema":"modelseal-env/1","torch":null}"#
            ),
            (
                "missing member",
                #"{"distributions":[],"platform":{"machine":"x","system":"y"},"python":{"implementation":"cpython","version":"3.11.7"},"schema":"modelseal-env/1","torch":null}"#
            ),
            (
                "newer schema",
                #"{"conda":null,"distributions":[],"platform":{"machine":"x","system":"y"},"python":{"implementation":"cpython","version":"3.11.7"},"schema":"modelseal-env/2","torch":null}"#
            ),
            (
                "unsorted",
                #"{"conda":null,"distributions":[{"name":"b","version":"1"},{"name":"a","version":"1"}],"platform":{"machine":"x","system":"y"},"python":{"implementation":"cpython","version":"3.11.7"},"schema":"modelseal-env/1","torch":null}"#
            ),
            (
                "duplicate",
                #"{"conda":null,"distributions":[{"name":"a","version":"1"},{"name":"a","version":"2"}],"platform":{"machine":"x","system":"y"},"python":{"implementation":"cpython","version":"3.11.7"},"schema":"modelseal-env/1","torch":null}"#
            ),
            (
                "unnormalized name",
                #"{"conda":null,"distributions":[{"name":"Scikit_Learn","version":"1"}],"platform":{"machine":"x","system":"y"},"python":{"implementation":"cpython","version":"3.11.7"},"schema":"modelseal-env/1","torch":null}"#
            ),
            (
                "number as version",
                #"{"conda":null,"distributions":[{"name":"a","version":1}],"platform":{"machine":"x","system":"y"},"python":{"implementation":"cpython","version":"3.11.7"},"schema":"modelseal-env/1","torch":null}"#
            ),
            (
                "empty string",
                #"{"conda":null,"distributions":[],"platform":{"machine":"","system":"y"},"python":{"implementation":"cpython","version":"3.11.7"},"schema":"modelseal-env/1","torch":null}"#
            ),
            ("not an object", #"[]"#),
        ])
    func schema(_ testCase: (String, String)) {
        #expect(throws: EnvironmentError.self, "\(testCase.0)") { try EnvironmentLock.parse(Array(testCase.1.utf8)) }
    }

    @Test("a lock over the size cap is refused before parsing")
    func sizeCap() {
        let bytes = [UInt8](repeating: 0x20, count: EnvironmentLock.maximumEncodedLength + 1)
        #expect(throws: EnvironmentError.self) { try EnvironmentLock.parse(bytes) }
    }
}

extension String {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
