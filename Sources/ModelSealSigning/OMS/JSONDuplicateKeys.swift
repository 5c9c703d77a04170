/// A structural pass over JSON that refuses what `JSONDecoder` lets through silently: an object naming the same
/// key twice (it keeps the first, Python's `json` the last, so two verifiers would read two different documents)
/// and nesting past `maximumDepth`.
///
/// It checks structure and keys only; `JSONDecoder` still does the full grammar and the types.
struct JSONDuplicateKeys {
    /// Deeper than any bundle or statement (they nest 6 levels); stops stack exhaustion on `[[[[...`.
    static let maximumDepth = 64

    private let bytes: [UInt8]
    private var index = 0

    /// Throws `malformedSignature` naming `what` on a duplicate key, excessive depth or broken structure.
    static func check(_ bytes: [UInt8], what: String) throws(SigningError) {
        var scanner = JSONDuplicateKeys(bytes: bytes)
        do throws(Failure) {
            try scanner.value(depth: 0)
            scanner.skipWhitespace()
            guard scanner.index == bytes.count else { throw Failure.structure }
        } catch .duplicate(let key) {
            throw .malformedSignature("\(what): an object names '\(key)' twice")
        } catch .tooDeep {
            throw .malformedSignature("\(what): nested deeper than \(maximumDepth) levels")
        } catch {
            throw .malformedSignature("\(what): not valid JSON (truncated or corrupted file?)")
        }
    }

    private enum Failure: Error {
        case duplicate(String)
        case tooDeep
        case structure
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    private mutating func expect(_ byte: UInt8) throws(Failure) {
        guard index < bytes.count, bytes[index] == byte else { throw .structure }
        index += 1
    }

    private mutating func value(depth: Int) throws(Failure) {
        guard depth < Self.maximumDepth else { throw .tooDeep }
        skipWhitespace()
        guard index < bytes.count else { throw .structure }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            index += 1
            var keys = Set<[UInt8]>()
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return
            }
            while true {
                skipWhitespace()
                let key = try string()
                guard keys.insert(key).inserted else { throw .duplicate(String(decoding: key, as: UTF8.self)) }
                skipWhitespace()
                try expect(UInt8(ascii: ":"))
                try value(depth: depth + 1)
                skipWhitespace()
                guard index < bytes.count else { throw .structure }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                try expect(UInt8(ascii: "}"))
                return
            }
        case UInt8(ascii: "["):
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return
            }
            while true {
                try value(depth: depth + 1)
                skipWhitespace()
                guard index < bytes.count else { throw .structure }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                try expect(UInt8(ascii: "]"))
                return
            }
        case UInt8(ascii: "\""):
            _ = try string()
        default:
            // Numbers and literals: JSONDecoder checks their grammar; here they only have to end.
            let start = index
            while index < bytes.count, !",]} \t\r\n".utf8.contains(bytes[index]) { index += 1 }
            guard index > start else { throw .structure }
        }
    }

    /// A string's content with escapes resolved (as UTF-8), so `"a"` and `"\u0061"` count as the same key.
    private mutating func string() throws(Failure) -> [UInt8] {
        try expect(UInt8(ascii: "\""))
        var out: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return out
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { throw .structure }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar), index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                        bytes[index + 1] == UInt8(ascii: "u")
                    {
                        index += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw .structure }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    // A lone surrogate stands for itself: distinct lone surrogates stay distinct keys.
                    out += Unicode.Scalar(scalar).map { Array(String($0).utf8) } ?? Array("\\u\(scalar)".utf8)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                default: throw .structure
                }
            default:
                out.append(byte)
            }
        }
        throw .structure
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard index + 4 <= bytes.count,
            let value = UInt32(String(decoding: bytes[index..<(index + 4)], as: UTF8.self), radix: 16)
        else { throw .structure }
        index += 4
        return value
    }
}
