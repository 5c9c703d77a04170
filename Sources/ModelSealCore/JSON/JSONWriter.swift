/// The one JSON writer: compact or indented text for output, canonical bytes for signatures.
///
/// Strings are escaped as RFC 8785 §3.2.2.2 says in every mode (`\"`, `\\`, `\b \f \n \r \t`,
/// other controls as `\u00xx` lowercase, everything else as raw UTF-8), so compact output of a
/// canonical value differs from its canonical bytes only in member order.
public enum JSONWriter {
    /// Largest integer magnitude a canonical document may hold (IEEE 754 doubles are exact below it).
    public static let maximumCanonicalInteger: Int64 = (1 << 53) - 1

    /// Members in their order; compact, or indented by two spaces with short number arrays on one line.
    public static func serialize(_ value: JSONValue, pretty: Bool = false) -> String {
        var output: [UInt8] = []
        write(value, into: &output, pretty: pretty, indent: 0)
        return String(decoding: output, as: UTF8.self)
    }

    /// A JSON string literal for `text`.
    public static func quote(_ text: String) -> String {
        var output: [UInt8] = []
        appendString(text, to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// The canonical bytes of `value` (RFC 8785 for documents whose numbers are integers):
    /// members sorted by UTF-16 code units, no whitespace; `nil` when a number is not a canonical
    /// integer of magnitude at most `maximumCanonicalInteger`.
    public static func canonical(_ value: JSONValue) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(4096)
        return appendCanonical(value, to: &output) ? output : nil
    }

    /// True for `0` or an optionally negative integer without leading zeros, within the canonical range.
    public static func isCanonicalInteger(_ text: String) -> Bool {
        guard let value = Int64(text), value.magnitude <= maximumCanonicalInteger.magnitude else { return false }
        return String(value) == text && text != "-0"
    }

    static func write(_ value: JSONValue, into output: inout [UInt8], pretty: Bool, indent: Int) {
        let newline: [UInt8] = pretty ? [0x0A] + Array(repeating: 0x20, count: 2 * (indent + 1)) : []
        let closing: [UInt8] = pretty ? [0x0A] + Array(repeating: 0x20, count: 2 * indent) : []
        switch value {
        case .null, .bool, .number, .string: appendScalar(value, to: &output)
        case .array(let items):
            if items.isEmpty { return output += Array("[]".utf8) }
            // Short arrays of numbers (shapes) stay on one line.
            let inline =
                pretty && items.count <= 16
                && items.allSatisfy { if case .number = $0 { true } else { false } }
            output.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { output += inline ? Array(", ".utf8) : [UInt8(ascii: ",")] }
                if !inline { output += newline }
                write(item, into: &output, pretty: pretty, indent: indent + 1)
            }
            output += inline ? [UInt8(ascii: "]")] : closing + [UInt8(ascii: "]")]
        case .object(let members):
            if members.isEmpty { return output += Array("{}".utf8) }
            output.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                output += newline
                appendString(member.0, to: &output)
                output += pretty ? Array(": ".utf8) : [UInt8(ascii: ":")]
                write(member.1, into: &output, pretty: pretty, indent: indent + 1)
            }
            output += closing + [UInt8(ascii: "}")]
        }
    }

    static func appendCanonical(_ value: JSONValue, to output: inout [UInt8]) -> Bool {
        switch value {
        case .null, .bool, .string: appendScalar(value, to: &output)
        case .number(let text):
            guard isCanonicalInteger(text) else { return false }
            output += Array(text.utf8)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                guard appendCanonical(element, to: &output) else { return false }
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            let sorted = members.members.sorted { Array($0.0.utf16).lexicographicallyPrecedes(Array($1.0.utf16)) }
            for (index, member) in sorted.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                appendString(member.0, to: &output)
                output.append(UInt8(ascii: ":"))
                guard appendCanonical(member.1, to: &output) else { return false }
            }
            output.append(UInt8(ascii: "}"))
        }
        return true
    }

    static func appendScalar(_ value: JSONValue, to output: inout [UInt8]) {
        switch value {
        case .null: output += Array("null".utf8)
        case .bool(let flag): output += Array((flag ? "true" : "false").utf8)
        case .number(let text): output += Array(text.utf8)
        case .string(let text): appendString(text, to: &output)
        case .array, .object: break
        }
    }

    static func appendString(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output += [0x5C, 0x22]
            case UInt8(ascii: "\\"): output += [0x5C, 0x5C]
            case 0x08: output += [0x5C, UInt8(ascii: "b")]
            case 0x0C: output += [0x5C, UInt8(ascii: "f")]
            case 0x0A: output += [0x5C, UInt8(ascii: "n")]
            case 0x0D: output += [0x5C, UInt8(ascii: "r")]
            case 0x09: output += [0x5C, UInt8(ascii: "t")]
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                output += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
