/// The FLOAT opcode's text, parsed the way CPython's `_pickle.c` `load_float` does:
/// `PyOS_string_to_double(s, &end, PyExc_OverflowError)` takes the longest prefix that is a decimal float
/// (`[+-]` digits `[.digits]` `[e[+-]digits]`, or `.digits`) or `inf`/`infinity`/`nan` (any case), with no
/// leading blanks, and the load succeeds only when that prefix ends the line or is followed by a NUL byte
/// (`F3.5\0junk` is 3.5; `F 3.5`, `F3.5 `, `F1_0`, `F0x10` and `F1e` raise; `F1e999` raises OverflowError).
enum PickleFloatText {
    /// The value, or nil where CPython raises.
    static func parse(_ line: [UInt8]) -> Double? {
        let length = prefixLength(line)
        guard length > 0, length == line.count || line[length] == 0 else { return nil }
        let text = String(decoding: line[..<length], as: UTF8.self)  // ASCII: only digits, signs, letters of inf/nan
        guard let value = Double(text) else {
            return nil
        }
        // strtod's overflow: a finite literal that rounds to infinity raises OverflowError in CPython.
        if value.isInfinite, !text.lowercased().contains("inf") { return nil }
        return value
    }

    /// The length of the longest float prefix of `line` (0 if none).
    static func prefixLength(_ line: [UInt8]) -> Int {
        var index = 0
        if index < line.count, line[index] == UInt8(ascii: "+") || line[index] == UInt8(ascii: "-") { index += 1 }
        if let word = special(line, from: index) { return index + word }
        let integer = digits(line, from: index)
        var end = index + integer
        var fraction = 0
        if end < line.count, line[end] == UInt8(ascii: ".") {
            fraction = digits(line, from: end + 1)
            if integer > 0 || fraction > 0 { end += 1 + fraction }
        }
        guard integer > 0 || fraction > 0 else { return 0 }
        if end < line.count, line[end] | 0x20 == UInt8(ascii: "e") {
            var exponent = end + 1
            if exponent < line.count, line[exponent] == UInt8(ascii: "+") || line[exponent] == UInt8(ascii: "-") {
                exponent += 1
            }
            let exponentDigits = digits(line, from: exponent)
            if exponentDigits > 0 { end = exponent + exponentDigits }
        }
        return end
    }

    static func digits(_ line: [UInt8], from start: Int) -> Int {
        var index = start
        while index < line.count, line[index] >= UInt8(ascii: "0"), line[index] <= UInt8(ascii: "9") { index += 1 }
        return index - start
    }

    /// `infinity`, `inf` or `nan` (case-insensitive) at `start`: its length, longest first.
    static func special(_ line: [UInt8], from start: Int) -> Int? {
        for word in ["infinity", "inf", "nan"] {
            let bytes = Array(word.utf8)
            guard start + bytes.count <= line.count else { continue }
            if zip(line[start..<start + bytes.count], bytes).allSatisfy({ $0 | 0x20 == $1 }) { return bytes.count }
        }
        return nil
    }
}
