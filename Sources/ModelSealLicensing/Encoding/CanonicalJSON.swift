/// A JSON value restricted to what licenses and requests need, with one canonical encoding.
///
/// The encoding is RFC 8785 (JSON Canonicalization Scheme) for this subset: no floating-point
/// numbers (integers only, |n| ≤ 2^53 − 1, so the JCS number form is the plain decimal), object
/// members sorted by key (keys are ASCII here, so UTF-16 order is byte order), no whitespace,
/// strings escaped only where JCS requires (`"`, `\`, controls below U+0020). Signatures cover
/// these bytes, and the parser accepts only input that re-encodes to itself (`encode(parse(x)) == x`).
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The largest integer magnitude JSON numbers carry exactly (2^53 − 1).
    public static let maximumInteger: Int64 = (1 << 53) - 1

    /// The canonical bytes.
    public var canonicalBytes: [UInt8] {
        var output: [UInt8] = []
        encode(into: &output)
        return output
    }

    private func encode(into output: inout [UInt8]) {
        switch self {
        case .null: output += Array("null".utf8)
        case .bool(let value): output += Array((value ? "true" : "false").utf8)
        case .integer(let value): output += Array(String(value).utf8)
        case .string(let value): Self.encode(string: value, into: &output)
        case .array(let values):
            output.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                value.encode(into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted(by: { Array($0.utf16).lexicographicallyPrecedes(Array($1.utf16)) })
                .enumerated()
            {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                Self.encode(string: key, into: &output)
                output.append(UInt8(ascii: ":"))
                members[key]?.encode(into: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    private static func encode(string: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output += [0x5C, 0x22]
            case UInt8(ascii: "\\"): output += [0x5C, 0x5C]
            case 0x08: output += [0x5C, UInt8(ascii: "b")]
            case 0x09: output += [0x5C, UInt8(ascii: "t")]
            case 0x0A: output += [0x5C, UInt8(ascii: "n")]
            case 0x0C: output += [0x5C, UInt8(ascii: "f")]
            case 0x0D: output += [0x5C, UInt8(ascii: "r")]
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                output += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
