/// The one strict JSON parser (RFC 8259), for our documents and other tools'.
///
/// Strict means: UTF-8 only (no BOM, no overlong forms, no encoded surrogates), no duplicate member
/// names, no lone surrogate escapes, no bytes after the value but JSON whitespace, and the caps of
/// `Options` (size checked before parsing, depth and container size while parsing). With
/// `Options.canonical` it accepts only the RFC 8785 bytes `JSONWriter.canonical` would write, so
/// a signed document has exactly one encoding.
public struct JSONParser {
    /// Caps and modes for one parse.
    public struct Options: Sendable {
        /// Largest input accepted, in bytes.
        public var maximumBytes: Int
        /// Deepest nesting of arrays and objects.
        public var maximumDepth: Int
        /// Most members or elements in one object or array.
        public var maximumElements: Int
        /// Accept only the canonical encoding (RFC 8785, integers only).
        public var canonical: Bool

        /// Options with the given caps; the defaults suit foreign files (safetensors headers, conda records).
        public init(
            maximumBytes: Int = 256 << 20, maximumDepth: Int = 64, maximumElements: Int = 1 << 22,
            canonical: Bool = false
        ) {
            self.maximumBytes = maximumBytes
            self.maximumDepth = maximumDepth
            self.maximumElements = maximumElements
            self.canonical = canonical
        }
    }

    var reader: ByteReader
    let options: Options
    var depth = 0

    /// Parses `bytes` as exactly one JSON value (surrounding whitespace allowed unless canonical).
    public static func parse(_ bytes: [UInt8], options: Options = Options()) throws(JSONError) -> JSONValue {
        guard bytes.count <= options.maximumBytes else {
            throw JSONError(offset: 0, reason: "\(bytes.count) bytes is over the \(options.maximumBytes)-byte cap")
        }
        var parser = JSONParser(reader: ByteReader(bytes), options: options)
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        guard parser.reader.isAtEnd else { throw parser.failure("unexpected data after the JSON value") }
        if options.canonical {
            guard let canonical = JSONWriter.canonical(value) else {
                throw JSONError(offset: 0, reason: "only integers of at most 2^53 - 1 are allowed")
            }
            if canonical != bytes {
                let offset = zip(canonical, bytes).prefix(while: { $0 == $1 }).count
                throw JSONError(offset: offset, reason: "not in canonical form (RFC 8785: sorted keys, no whitespace)")
            }
        }
        return value
    }

    func failure(_ reason: String) -> JSONError { JSONError(offset: reader.offset, reason: reason) }

    mutating func skipWhitespace() {
        while let byte = reader.peekUInt8(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
            reader.skip(1)
        }
    }

    mutating func parseValue() throws(JSONError) -> JSONValue {
        guard let byte = reader.peekUInt8() else { throw failure("unexpected end of input") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw failure("unexpected byte 0x\(String(byte, radix: 16))")
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONError) {
        let expected = literal.withUTF8Buffer { Array($0) }
        guard let bytes = reader.readBytes(expected.count), bytes.elementsEqual(expected) else {
            throw failure("invalid literal (expected \(literal))")
        }
    }

    mutating func enter() throws(JSONError) {
        depth += 1
        guard depth <= options.maximumDepth else {
            throw failure("nested deeper than \(options.maximumDepth) levels")
        }
        reader.skip(1)
        skipWhitespace()
    }

    mutating func parseObject() throws(JSONError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        var members: [(String, JSONValue)] = []
        var names = Set<String>()
        if reader.peekUInt8() == UInt8(ascii: "}") {
            reader.skip(1)
            return .object(JSONObject(members))
        }
        while true {
            skipWhitespace()
            guard reader.peekUInt8() == UInt8(ascii: "\"") else { throw failure("expected a member name") }
            let name = try parseString()
            guard names.insert(name).inserted else { throw failure("duplicate member \"\(name)\"") }
            skipWhitespace()
            guard reader.readUInt8() == UInt8(ascii: ":") else { throw failure("expected ':'") }
            skipWhitespace()
            members.append((name, try parseValue()))
            guard members.count <= options.maximumElements else {
                throw failure("more than \(options.maximumElements) members")
            }
            skipWhitespace()
            switch reader.readUInt8() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "}"): return .object(JSONObject(members))
            case nil: throw failure("unterminated object")
            default: throw failure("expected ',' or '}'")
            }
        }
    }

    mutating func parseArray() throws(JSONError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        var elements: [JSONValue] = []
        if reader.peekUInt8() == UInt8(ascii: "]") {
            reader.skip(1)
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            guard elements.count <= options.maximumElements else {
                throw failure("more than \(options.maximumElements) elements")
            }
            skipWhitespace()
            switch reader.readUInt8() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "]"): return .array(elements)
            case nil: throw failure("unterminated array")
            default: throw failure("expected ',' or ']'")
            }
        }
    }

    mutating func parseNumber() throws(JSONError) -> String {
        let begin = reader.position
        func digits(_ reader: inout ByteReader) -> Int {
            var count = 0
            while let byte = reader.peekUInt8(), (0x30...0x39).contains(byte) {
                reader.skip(1)
                count += 1
            }
            return count
        }
        if reader.peekUInt8() == UInt8(ascii: "-") { reader.skip(1) }
        if reader.peekUInt8() == UInt8(ascii: "0") {
            reader.skip(1)
            if let next = reader.peekUInt8(), (0x30...0x39).contains(next) { throw failure("leading zero in number") }
        } else if digits(&reader) == 0 {
            throw failure("invalid number")
        }
        if reader.peekUInt8() == UInt8(ascii: ".") {
            reader.skip(1)
            guard digits(&reader) > 0 else { throw failure("invalid number: no digits after '.'") }
        }
        if let byte = reader.peekUInt8(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            reader.skip(1)
            if let sign = reader.peekUInt8(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { reader.skip(1) }
            guard digits(&reader) > 0 else { throw failure("invalid number: no exponent digits") }
        }
        return String(decoding: reader.bytes[begin..<reader.position], as: UTF8.self)
    }

    mutating func parseString() throws(JSONError) -> String {
        reader.skip(1)  // the opening quote
        var text = ""
        while true {
            // A run of plain bytes: it cannot split a UTF-8 sequence, since '"', '\' and controls
            // are ASCII and never continuation bytes.
            let runStart = reader.position
            var index = runStart
            while index < reader.end {
                let byte = reader.bytes[index]
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { break }
                index += 1
            }
            if index > runStart {
                guard let run = String(strictUTF8: reader.bytes[runStart..<index]) else {
                    throw failure("string is not valid UTF-8")
                }
                text += run
                reader.skip(index - runStart)
            }
            switch reader.readUInt8() {
            case UInt8(ascii: "\""): return text
            case UInt8(ascii: "\\"): text.unicodeScalars.append(try parseEscape())
            case nil: throw failure("unterminated string")
            default: throw failure("control character in string")
            }
        }
    }

    mutating func parseEscape() throws(JSONError) -> Unicode.Scalar {
        guard let escape = reader.readUInt8() else { throw failure("unterminated escape") }
        switch escape {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let unit = try parseHex4()
            if (0xD800...0xDBFF).contains(unit) {
                guard reader.readUInt8() == UInt8(ascii: "\\"), reader.readUInt8() == UInt8(ascii: "u") else {
                    throw failure("lone high surrogate")
                }
                let low = try parseHex4()
                guard (0xDC00...0xDFFF).contains(low),
                    let scalar = Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                else { throw failure("invalid surrogate pair") }
                return scalar
            }
            guard let scalar = Unicode.Scalar(unit) else { throw failure("lone low surrogate") }
            return scalar
        default: throw failure("invalid escape")
        }
    }

    mutating func parseHex4() throws(JSONError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = reader.readUInt8() else { throw failure("short \\u escape") }
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: throw failure("invalid \\u escape")
            }
            value = value << 4 | digit
        }
        return value
    }
}
