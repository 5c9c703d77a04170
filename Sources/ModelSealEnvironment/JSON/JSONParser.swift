import ModelSealFormat

/// A strict RFC 8259 parser for JSON from files: ours (locks, manifests) and other tools' (conda-meta).
///
/// Strict means: UTF-8 only (no BOM), no duplicate member names, no lone surrogates, no trailing
/// bytes except JSON whitespace, nesting at most `maximumDepth`, and the input at most the
/// caller's cap, checked before parsing.
public struct JSONParser {
    /// Deepest nesting accepted; conda records and our locks use four levels.
    public static let maximumDepth = 32
    /// Most members or elements in one object or array.
    public static let maximumContainerCount = 100_000

    var reader: ByteReader
    var depth = 0

    /// Parses `bytes` as one JSON value. `what` names the input in errors.
    public static func parse(_ bytes: [UInt8]) throws(JSONError) -> JSONValue {
        var parser = JSONParser(reader: ByteReader(bytes))
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        guard parser.reader.isAtEnd else {
            throw JSONError(offset: parser.reader.offset, reason: "bytes after the value")
        }
        return value
    }

    mutating func skipWhitespace() {
        while let byte = reader.peekUInt8(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
            reader.skip(1)
        }
    }

    func failure(_ reason: String) -> JSONError { JSONError(offset: reader.offset, reason: reason) }

    mutating func parseValue() throws(JSONError) -> JSONValue {
        guard let byte = reader.peekUInt8() else { throw failure("unexpected end of input") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw failure("unexpected byte 0x\(String(byte, radix: 16))")
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONError) {
        let expected = literal.withUTF8Buffer { Array($0) }
        guard let bytes = reader.readBytes(expected.count), Array(bytes) == expected else {
            throw failure("invalid literal")
        }
    }

    mutating func enter() throws(JSONError) {
        depth += 1
        guard depth <= Self.maximumDepth else { throw failure("nested deeper than \(Self.maximumDepth) levels") }
    }

    mutating func parseObject() throws(JSONError) -> JSONValue {
        try enter()
        reader.skip(1)
        var members: [(String, JSONValue)] = []
        var names = Set<String>()
        skipWhitespace()
        if reader.peekUInt8() == UInt8(ascii: "}") {
            reader.skip(1)
            depth -= 1
            return .object([])
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
            guard members.count <= Self.maximumContainerCount else { throw failure("too many members") }
            skipWhitespace()
            switch reader.readUInt8() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "}"):
                depth -= 1
                return .object(members)
            default: throw failure("expected ',' or '}'")
            }
        }
    }

    mutating func parseArray() throws(JSONError) -> JSONValue {
        try enter()
        reader.skip(1)
        var elements: [JSONValue] = []
        skipWhitespace()
        if reader.peekUInt8() == UInt8(ascii: "]") {
            reader.skip(1)
            depth -= 1
            return .array([])
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            guard elements.count <= Self.maximumContainerCount else { throw failure("too many elements") }
            skipWhitespace()
            switch reader.readUInt8() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "]"):
                depth -= 1
                return .array(elements)
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
        reader.skip(1)
        var scalars = String.UnicodeScalarView()
        var run: [UInt8] = []
        func flush(_ run: inout [UInt8], into scalars: inout String.UnicodeScalarView) {
            if !run.isEmpty {
                scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars)
                run.removeAll(keepingCapacity: true)
            }
        }
        while true {
            guard let byte = reader.readUInt8() else { throw failure("unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                flush(&run, into: &scalars)
                return String(scalars)
            case UInt8(ascii: "\\"):
                flush(&run, into: &scalars)
                guard let escape = reader.readUInt8() else { throw failure("unterminated escape") }
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
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
                        scalars.append(scalar)
                    } else {
                        guard let scalar = Unicode.Scalar(unit) else { throw failure("lone low surrogate") }
                        scalars.append(scalar)
                    }
                default: throw failure("invalid escape")
                }
            case 0x00..<0x20: throw failure("control character in string")
            case 0x00..<0x80: run.append(byte)
            default:
                // A multi-byte UTF-8 sequence: validate it exactly (no overlongs, no surrogates).
                let length: Int
                switch byte {
                case 0xC2...0xDF: length = 2
                case 0xE0...0xEF: length = 3
                case 0xF0...0xF4: length = 4
                default: throw failure("invalid UTF-8")
                }
                guard let rest = reader.readBytes(length - 1) else { throw failure("invalid UTF-8") }
                let sequence = [byte] + rest
                var decoder = UTF8()
                var iterator = sequence.makeIterator()
                guard case .scalarValue = decoder.decode(&iterator), iterator.next() == nil else {
                    throw failure("invalid UTF-8")
                }
                run.append(contentsOf: sequence)
            }
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

/// Where and why JSON failed to parse.
public struct JSONError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Byte offset of the failure.
    public let offset: Int
    /// What was wrong.
    public let reason: String
    public var description: String { "\(reason) at byte \(offset)" }
}
