/// The `.npy` header as NumPy reads it: a Python literal read by `ast.literal_eval` (after
/// `_filter_header`'s Python 2 fix, dropping an `L` after an integer, for versions 1 and 2).
///
/// Enough of Python's literal grammar for what a header can hold: dicts, tuples, lists, strings with
/// `b`/`u`/`r` prefixes, escapes and adjacent-string concatenation, comments, line continuations,
/// integers (any base, underscores, a sign), floats, `True`/`False`/`None`. A string whose value cannot
/// be known here (a `\N{NAME}` escape) is kept as `unknownString`: a caller deciding by allowlist treats
/// it as anything at all.
public indirect enum NpyHeaderLiteral: Sendable, Equatable {
    case string(String)
    case unknownString
    case bytes([UInt8])
    case integer
    case float
    case bool(Bool)
    case none
    case tuple([NpyHeaderLiteral])
    case list([NpyHeaderLiteral])
    case dict([(key: NpyHeaderLiteral, value: NpyHeaderLiteral)])

    public static func == (lhs: NpyHeaderLiteral, rhs: NpyHeaderLiteral) -> Bool {
        switch (lhs, rhs) {
        case let (.string(a), .string(b)): a == b
        case (.unknownString, .unknownString), (.integer, .integer), (.float, .float), (.none, .none): true
        case let (.bytes(a), .bytes(b)): a == b
        case let (.bool(a), .bool(b)): a == b
        case let (.tuple(a), .tuple(b)), let (.list(a), .list(b)): a == b
        case let (.dict(a), .dict(b)):
            a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }

    /// Parses `text` as one literal; nil where `ast.literal_eval` would raise (or where this reader is
    /// unsure: the caller then treats the header as unknown). `python2Longs` drops an `L` after integers.
    public static func parse(_ text: [UInt8], python2Longs: Bool) -> NpyHeaderLiteral? {
        var parser = NpyLiteralParser(text: text, python2Longs: python2Longs)
        guard let value = parser.value(depth: 0) else { return nil }
        parser.skipBlanks(newlines: true)
        return parser.position == text.count ? value : nil
    }

    /// The items of a dict literal in source order.
    public var dictItems: [(key: NpyHeaderLiteral, value: NpyHeaderLiteral)]? {
        if case let .dict(items) = self { return items }
        return nil
    }

    /// The value under `key` in a dict whose keys are strings.
    public func field(_ key: String) -> NpyHeaderLiteral? {
        guard case let .dict(items) = self else { return nil }
        return items.last { $0.key == .string(key) }?.value
    }
}

/// A recursive-descent reader of the literal grammar above, over UTF-8 bytes.
struct NpyLiteralParser {
    let text: [UInt8]
    let python2Longs: Bool
    var position = 0
    static let maxDepth = 64

    init(text: [UInt8], python2Longs: Bool) {
        self.text = text
        self.python2Longs = python2Longs
    }

    var current: UInt8? { position < text.count ? text[position] : nil }

    /// Spaces, tabs, form feeds, comments, backslash-newline continuations; newlines inside brackets.
    mutating func skipBlanks(newlines: Bool) {
        while let byte = current {
            if byte == 0x20 || byte == 0x09 || byte == 0x0C || (newlines && (byte == 0x0A || byte == 0x0D)) {
                position += 1
            } else if byte == UInt8(ascii: "#") {
                while let next = current, next != 0x0A { position += 1 }
            } else if byte == UInt8(ascii: "\\"), position + 1 < text.count, text[position + 1] == 0x0A {
                position += 2
            } else {
                return
            }
        }
    }

    mutating func value(depth: Int) -> NpyHeaderLiteral? {
        guard depth < Self.maxDepth else { return nil }
        skipBlanks(newlines: true)
        guard let byte = current else { return nil }
        switch byte {
        case UInt8(ascii: "{"): return dict(depth: depth)
        case UInt8(ascii: "("): return sequence(close: UInt8(ascii: ")"), depth: depth)
        case UInt8(ascii: "["): return sequence(close: UInt8(ascii: "]"), depth: depth)
        case UInt8(ascii: "-"), UInt8(ascii: "+"):
            position += 1
            let operand = value(depth: depth + 1)
            return operand == .integer || operand == .float ? operand : nil
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."): return number()
        default: return wordOrString()
        }
    }

    mutating func dict(depth: Int) -> NpyHeaderLiteral? {
        position += 1
        var items: [(key: NpyHeaderLiteral, value: NpyHeaderLiteral)] = []
        while true {
            skipBlanks(newlines: true)
            if current == UInt8(ascii: "}") {
                position += 1
                return .dict(items)
            }
            guard let key = value(depth: depth + 1) else { return nil }
            skipBlanks(newlines: true)
            guard current == UInt8(ascii: ":") else { return nil }
            position += 1
            guard let item = value(depth: depth + 1) else { return nil }
            items.append((key, item))
            skipBlanks(newlines: true)
            if current == UInt8(ascii: ",") {
                position += 1
            } else if current != UInt8(ascii: "}") {
                return nil
            }
        }
    }

    /// A tuple, list or parenthesised value: `(x)` is `x`, `(x,)` and `()` are tuples.
    mutating func sequence(close: UInt8, depth: Int) -> NpyHeaderLiteral? {
        position += 1
        var items: [NpyHeaderLiteral] = []
        var sawComma = false
        while true {
            skipBlanks(newlines: true)
            if current == close {
                position += 1
                if close == UInt8(ascii: "]") { return .list(items) }
                return items.count == 1 && !sawComma ? items[0] : .tuple(items)
            }
            guard let item = value(depth: depth + 1) else { return nil }
            items.append(item)
            skipBlanks(newlines: true)
            if current == UInt8(ascii: ",") {
                sawComma = true
                position += 1
            } else if current != close {
                return nil
            }
        }
    }

    /// Integers and floats, loosely: digits, letters (bases, exponents), dots, underscores and signs
    /// after an exponent; an `L` suffix only for Python 2 headers.
    mutating func number() -> NpyHeaderLiteral? {
        let start = position
        var isFloat = false
        while let byte = current {
            let isWord = (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x5F
            if byte == UInt8(ascii: ".") {
                isFloat = true
            } else if (byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")), position > start,
                text[position - 1] | 0x20 == UInt8(ascii: "e"), !text[start...].starts(with: [0x30, 0x78])
            {
                isFloat = true
            } else if !isWord {
                break
            }
            position += 1
        }
        var literal = Array(text[start..<position])
        if python2Longs, !isFloat, literal.count > 1, literal.last == UInt8(ascii: "L") { literal.removeLast() }
        if !isFloat, literal.count > 1, literal[0] == 0x30, literal[1] | 0x20 != UInt8(ascii: "x") {
            // 0o/0b prefixes or all zeros; anything else with a leading zero is a syntax error.
            let second = literal[1] | 0x20
            if second != UInt8(ascii: "o"), second != UInt8(ascii: "b"),
                !literal.allSatisfy({ $0 == 0x30 || $0 == 0x5F })
            {
                if literal.contains(where: { $0 | 0x20 == UInt8(ascii: "e") || $0 | 0x20 == UInt8(ascii: "j") }) {
                    return .float
                }
                return nil
            }
        }
        if literal.contains(where: { $0 | 0x20 == UInt8(ascii: "j") }) { return nil }  // complex: not in headers
        if !isFloat, literal.contains(where: { $0 | 0x20 == UInt8(ascii: "e") }),
            !(literal.count > 1 && literal[1] | 0x20 == UInt8(ascii: "x"))
        {
            return .float
        }
        return isFloat ? .float : .integer
    }

    /// `True`, `False`, `None`, or a string literal (with prefixes, concatenated with its neighbours).
    mutating func wordOrString() -> NpyHeaderLiteral? {
        let start = position
        while let byte = current, (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || byte == 0x5F { position += 1 }
        let word = String(decoding: text[start..<position], as: UTF8.self)
        if current != UInt8(ascii: "'"), current != UInt8(ascii: "\"") {
            switch word {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            default: return nil
            }
        }
        position = start
        var result: NpyHeaderLiteral?
        while true {
            skipBlanks(newlines: false)
            let save = position
            guard let piece = stringLiteral() else {
                position = save
                break
            }
            result = Self.concatenate(result, piece)
            guard result != nil else { return nil }
        }
        return result
    }

    static func concatenate(_ left: NpyHeaderLiteral?, _ right: NpyHeaderLiteral) -> NpyHeaderLiteral? {
        switch (left, right) {
        case (nil, _): right
        case let (.string(a)?, .string(b)): .string(a + b)
        case (.string?, .unknownString), (.unknownString?, .string), (.unknownString?, .unknownString): .unknownString
        case let (.bytes(a)?, .bytes(b)): .bytes(a + b)
        default: nil  // bytes and str cannot be concatenated
        }
    }
}

extension NpyLiteralParser {
    /// One string or bytes literal with its prefix, or nil (position unchanged by the caller) if none starts here.
    mutating func stringLiteral() -> NpyHeaderLiteral? {
        var prefix = ""
        while let byte = current, prefix.count < 3, byte | 0x20 >= 0x61, byte | 0x20 <= 0x7A {
            prefix.append(Character(Unicode.Scalar(byte | 0x20)))
            position += 1
        }
        guard ["", "b", "r", "u", "br", "rb"].contains(prefix) else { return nil }
        let isBytes = prefix.contains("b")
        let isRaw = prefix.contains("r")
        guard let quote = current, quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") else { return nil }
        let triple = position + 2 < text.count && text[position + 1] == quote && text[position + 2] == quote
        position += triple ? 3 : 1
        var body: [UInt8] = []
        var unknown = false
        while true {
            guard let byte = current else { return nil }
            if byte == quote,
                !triple || (position + 2 < text.count && text[position + 1] == quote && text[position + 2] == quote)
            {
                position += triple ? 3 : 1
                break
            }
            if byte == 0x0A, !triple { return nil }
            if isBytes, byte >= 0x80 { return nil }
            position += 1
            guard byte == UInt8(ascii: "\\"), !isRaw else {
                if byte == UInt8(ascii: "\\"), let next = current {  // raw: the backslash stays, the quote is kept
                    body.append(byte)
                    body.append(next)
                    position += 1
                    continue
                }
                body.append(byte)
                continue
            }
            guard escape(into: &body, isBytes: isBytes, unknown: &unknown) else { return nil }
        }
        if isBytes { return .bytes(body) }
        if unknown { return .unknownString }
        guard let string = String(validating: body, as: UTF8.self) else { return .unknownString }
        return .string(string)
    }

    /// One escape after a backslash (Python's rules for str and bytes literals).
    mutating func escape(into body: inout [UInt8], isBytes: Bool, unknown: inout Bool) -> Bool {
        guard let code = current else { return false }
        position += 1
        let simple: [UInt8: UInt8] = [
            0x5C: 0x5C, 0x27: 0x27, 0x22: 0x22, 0x61: 0x07, 0x62: 0x08, 0x66: 0x0C, 0x6E: 0x0A, 0x72: 0x0D,
            0x74: 0x09, 0x76: 0x0B,
        ]
        if let byte = simple[code] {
            body.append(byte)
            return true
        }
        switch code {
        case 0x0A: return true  // line continuation inside the literal
        case UInt8(ascii: "0")...UInt8(ascii: "7"):
            var value = Int(code - 0x30)
            var taken = 1
            while taken < 3, let next = current, (0x30...0x37).contains(next) {
                value = value * 8 + Int(next - 0x30)
                position += 1
                taken += 1
            }
            return append(scalar: UInt32(value), into: &body, isBytes: isBytes)
        case UInt8(ascii: "x"): return hexEscape(digits: 2, into: &body, isBytes: isBytes)
        case UInt8(ascii: "u") where !isBytes: return hexEscape(digits: 4, into: &body, isBytes: false)
        case UInt8(ascii: "U") where !isBytes: return hexEscape(digits: 8, into: &body, isBytes: false)
        case UInt8(ascii: "N") where !isBytes:
            // \N{NAME}: a character by its Unicode name (`\N{LATIN CAPITAL LETTER O}` is "O"); not resolved here.
            guard current == UInt8(ascii: "{"), let close = text[position...].firstIndex(of: UInt8(ascii: "}")) else {
                return false
            }
            position = close + 1
            unknown = true
            return true
        default:
            body.append(0x5C)  // an unknown escape keeps its backslash
            body.append(code)
            return true
        }
    }

    mutating func hexEscape(digits: Int, into body: inout [UInt8], isBytes: Bool) -> Bool {
        guard position + digits <= text.count else { return false }
        var value: UInt32 = 0
        for byte in text[position..<(position + digits)] {
            guard let digit = hexValue(byte) else { return false }
            value = value << 4 | UInt32(digit)
        }
        position += digits
        return append(scalar: value, into: &body, isBytes: isBytes)
    }

    func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x37
        case 0x61...0x66: byte - 0x57
        default: nil
        }
    }

    /// Appends a code point (a byte in bytes literals); a surrogate or an out-of-range value fails.
    func append(scalar: UInt32, into body: inout [UInt8], isBytes: Bool) -> Bool {
        if isBytes {
            guard scalar <= 0xFF else { return false }
            body.append(UInt8(scalar))
            return true
        }
        guard let unicode = Unicode.Scalar(scalar) else { return scalar <= 0x10FFFF }
        body.append(contentsOf: Array(String(Character(unicode)).utf8))
        return true
    }
}
