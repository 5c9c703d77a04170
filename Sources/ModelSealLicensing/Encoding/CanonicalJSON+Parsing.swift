import ModelSealFormat

extension JSONValue {
    /// Caps on untrusted JSON (licenses, requests, machine key files, state files).
    public enum Limits {
        /// Largest document accepted.
        public static let maximumBytes = 1 << 20
        /// Deepest nesting of arrays and objects.
        public static let maximumDepth = 8
        /// Most elements in one array or members in one object.
        public static let maximumElements = 4096
    }

    /// Parses `bytes`, accepting only the canonical encoding (RFC 8785 for this subset).
    ///
    /// - Throws: `LicenseError.malformed(what, reason)` naming `what` (e.g. "license").
    public static func parseCanonical(_ bytes: [UInt8], what: String) throws(LicenseError) -> JSONValue {
        guard bytes.count <= Limits.maximumBytes else {
            throw .malformed(what, "\(bytes.count) bytes is over the \(Limits.maximumBytes)-byte cap")
        }
        var parser = Parser(reader: ByteReader(bytes), what: what)
        let value = try parser.value(depth: 0)
        guard parser.reader.isAtEnd else { throw parser.failure("bytes after the end of the document") }
        guard value.canonicalBytes == bytes else {
            throw .malformed(what, "not in canonical form (RFC 8785: sorted keys, no whitespace); was it edited?")
        }
        return value
    }

    private struct Parser {
        var reader: ByteReader
        let what: String

        func failure(_ reason: String) -> LicenseError {
            .malformed(what, "\(reason) at offset \(reader.offset)")
        }

        mutating func value(depth: Int) throws(LicenseError) -> JSONValue {
            guard depth <= Limits.maximumDepth else { throw failure("nesting deeper than \(Limits.maximumDepth)") }
            guard let byte = reader.peekUInt8() else { throw failure("unexpected end") }
            switch byte {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .integer(try integer())
            default: throw failure("unexpected byte 0x\(String(byte, radix: 16))")
            }
        }

        mutating func literal(_ text: String) throws(LicenseError) {
            guard let bytes = reader.readBytes(text.utf8.count), Array(bytes) == Array(text.utf8) else {
                throw failure("invalid literal")
            }
        }

        mutating func expect(_ character: Character) throws(LicenseError) {
            guard let byte = reader.readUInt8(), byte == character.asciiValue else {
                throw failure("expected '\(character)'")
            }
        }

        mutating func object(depth: Int) throws(LicenseError) -> JSONValue {
            try expect("{")
            var members: [String: JSONValue] = [:]
            if reader.peekUInt8() == UInt8(ascii: "}") {
                reader.skip(1)
                return .object(members)
            }
            while true {
                guard members.count < Limits.maximumElements else { throw failure("too many members") }
                let key = try string()
                guard members[key] == nil else { throw failure("duplicate key '\(key)'") }
                try expect(":")
                members[key] = try value(depth: depth + 1)
                guard let separator = reader.readUInt8() else { throw failure("unexpected end") }
                if separator == UInt8(ascii: "}") { return .object(members) }
                guard separator == UInt8(ascii: ",") else { throw failure("expected ',' or '}'") }
            }
        }

        mutating func array(depth: Int) throws(LicenseError) -> JSONValue {
            try expect("[")
            var values: [JSONValue] = []
            if reader.peekUInt8() == UInt8(ascii: "]") {
                reader.skip(1)
                return .array(values)
            }
            while true {
                guard values.count < Limits.maximumElements else { throw failure("too many elements") }
                values.append(try value(depth: depth + 1))
                guard let separator = reader.readUInt8() else { throw failure("unexpected end") }
                if separator == UInt8(ascii: "]") { return .array(values) }
                guard separator == UInt8(ascii: ",") else { throw failure("expected ',' or ']'") }
            }
        }

        mutating func integer() throws(LicenseError) -> Int64 {
            var text = ""
            while let byte = reader.peekUInt8(),
                byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            {
                reader.skip(1)
                text.append(Character(Unicode.Scalar(byte)))
                guard text.count <= 17 else { throw failure("integer too long") }
            }
            if let next = reader.peekUInt8(),
                next == UInt8(ascii: ".") || next == UInt8(ascii: "e") || next == UInt8(ascii: "E")
            {
                throw failure("only integers are allowed")
            }
            guard let value = Int64(text), abs(value) <= JSONValue.maximumInteger else {
                throw failure("invalid integer '\(text)'")
            }
            return value
        }

        mutating func string() throws(LicenseError) -> String {
            try expect("\"")
            var bytes: [UInt8] = []
            while true {
                guard let byte = reader.readUInt8() else { throw failure("unterminated string") }
                guard byte >= 0x20 else { throw failure("raw control character in a string") }
                if byte == UInt8(ascii: "\"") { break }
                guard byte == UInt8(ascii: "\\") else {
                    bytes.append(byte)
                    continue
                }
                guard let escape = reader.readUInt8() else { throw failure("unterminated escape") }
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(escape)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "u"):
                    // Canonical form only escapes controls; anything else fails the re-encode check.
                    guard let hex = reader.readBytes(4),
                        let code = UInt32(String(decoding: hex, as: UTF8.self), radix: 16),
                        let scalar = Unicode.Scalar(code)
                    else { throw failure("invalid \\u escape") }
                    bytes += Array(String(Character(scalar)).utf8)
                default: throw failure("invalid escape")
                }
                guard bytes.count <= Limits.maximumBytes else { throw failure("string too long") }
            }
            guard let text = String(validating: bytes, as: UTF8.self) else { throw failure("string is not UTF-8") }
            return text
        }
    }
}
