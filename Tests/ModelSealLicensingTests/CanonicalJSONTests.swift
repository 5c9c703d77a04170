import ModelSealCore
import Testing

@testable import ModelSealLicensing

@Suite("Canonical JSON (RFC 8785 subset)")
struct CanonicalJSONTests {
    @Test("sorted keys, no whitespace, minimal escapes")
    func golden() {
        let value = JSONValue.object([
            "b": .array([.integer(-3), .bool(true), .null]), "a": .string("x\"\\\n\u{1}é/"), "c": .object([:]),
        ])
        #expect(
            String(decoding: value.canonicalBytes, as: UTF8.self)
                == #"{"a":"x\"\\\n\u0001é/","b":[-3,true,null],"c":{}}"#)
    }

    @Test("parse(encode(x)) == x")
    func roundTrip() throws {
        let value = JSONValue.object(["k": .array([.string("v"), .integer(JSONValue.maximumInteger), .bool(false)])])
        #expect(try JSONValue.parseCanonical(value.canonicalBytes, what: "t") == value)
    }

    @Test(
        "non-canonical or unsupported input is refused",
        arguments: [
            #"{"b":1,"a":2}"#, #"{"a":1 }"#, #"{"a":1,"a":2}"#, #"{"a":1.5}"#, #"{"a":1e3}"#, #"{"a":01}"#,
            #"{"a":"\u0041"}"#, #"{"a":"\/"}"#, #"{"a":9007199254740992}"#, "{\"a\":\"\u{1}\"}", #"{"a":1}x"#,
            #"[[[[[[[[[[1]]]]]]]]]]"#, #"{"a":tru}"#, "",
        ])
    func refused(text: String) {
        #expect(throws: LicenseError.self) { try JSONValue.parseCanonical(Array(text.utf8), what: "t") }
    }
}

@Suite("License times (UTC)")
struct LicenseTimeTests {
    @Test("dates are UTC days; times are RFC 3339 Z")
    func parse() {
        #expect(LicenseTime.parse("1970-01-01") == 0)
        #expect(LicenseTime.parse("2027-12-31") == 1_830_211_200)
        #expect(LicenseTime.parse("2027-12-31T23:59:59Z") == Int64(1_830_297_599))
        #expect(LicenseTime.parse("2024-02-29") != nil)
        for bad in ["2023-02-29", "2027-13-01", "2027-12-31T24:00:00Z", "27-12-31", "2027-12-31T00:00:00+01:00", ""] {
            #expect(LicenseTime.parse(bad) == nil)
        }
        #expect(LicenseTime.format(1_830_297_599) == "2027-12-31T23:59:59Z")
    }
}
