/// The canonical encoding of our own JSON documents (environment locks, bundle manifests).
///
/// It is RFC 8785 (JSON Canonicalization Scheme) restricted to what our documents contain:
/// members sorted by name (our names are ASCII, so UTF-16 order is byte order), no insignificant
/// whitespace, strings escaped exactly as RFC 8785 §3.2.2.2 says (`\"`, `\\`, `\b \f \n \r \t`,
/// other controls as `\u00xx` lowercase; everything else as raw UTF-8), numbers only as
/// non-negative integers below 2^53 without leading zeros. Output is UTF-8 with no BOM.
public enum CanonicalJSON {
    /// Largest integer a canonical document may hold (IEEE 754 doubles are exact below it).
    public static let maximumInteger: UInt64 = (1 << 53) - 1

    /// The canonical bytes of `value`; `nil` when it holds a number that is not a canonical integer.
    public static func encode(_ value: JSONValue) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        return append(value, to: &out) ? out : nil
    }

    static func append(_ value: JSONValue, to out: inout [UInt8]) -> Bool {
        switch value {
        case .null: out += Array("null".utf8)
        case .bool(let flag): out += Array((flag ? "true" : "false").utf8)
        case .number(let text):
            guard isCanonicalInteger(text) else { return false }
            out += Array(text.utf8)
        case .string(let text): appendString(text, to: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                guard append(element, to: &out) else { return false }
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            let sorted = members.sorted { Array($0.0.utf16).lexicographicallyPrecedes(Array($1.0.utf16)) }
            for (index, member) in sorted.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                appendString(member.0, to: &out)
                out.append(UInt8(ascii: ":"))
                guard append(member.1, to: &out) else { return false }
            }
            out.append(UInt8(ascii: "}"))
        }
        return true
    }

    /// True for `0` or digits without a leading zero, at most `maximumInteger`.
    public static func isCanonicalInteger(_ text: String) -> Bool {
        guard let value = UInt64(text), value <= maximumInteger else { return false }
        return String(value) == text
    }

    static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [0x5C, 0x22]
            case UInt8(ascii: "\\"): out += [0x5C, 0x5C]
            case 0x08: out += [0x5C, UInt8(ascii: "b")]
            case 0x0C: out += [0x5C, UInt8(ascii: "f")]
            case 0x0A: out += [0x5C, UInt8(ascii: "n")]
            case 0x0D: out += [0x5C, UInt8(ascii: "r")]
            case 0x09: out += [0x5C, UInt8(ascii: "t")]
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
