/// The integer text forms CPython's `_pickle.c` accepts in protocol-0 opcodes, parsed the way it does:
/// INT through C `strtol(s, &end, 0)` (leading blanks, `0x` hex, leading-`0` octal: `I017` is 15) with
/// `PyLong_FromString(s, NULL, 0)` as the fallback; LONG through `PyLong_FromString(s, NULL, 0)`; memo keys
/// (PUT/GET) through `PyLong_FromString(s, NULL, 10)` (blanks, underscores, leading zeros).
///
/// Lines are C strings to CPython: they end at the first NUL byte. Values come back as sign plus digit values
/// in `radix`, so the caller builds an Int64 or a big integer.
struct PickleIntegerText {
    var negative: Bool
    var radix: Int
    /// Digit values, most significant first (underscores removed); never empty.
    var digits: [UInt8]

    /// `PyLong_FromString(text, NULL, base)` for base 0 or 10: nil where CPython raises ValueError.
    static func pythonInt(_ line: ArraySlice<UInt8>, base: Int) -> PickleIntegerText? {
        let text = line.prefix { $0 != 0 }
        var index = text.startIndex
        while index < text.endIndex, isPythonSpace(text[index]) { index += 1 }
        var negative = false
        if index < text.endIndex, text[index] == UInt8(ascii: "-") || text[index] == UInt8(ascii: "+") {
            negative = text[index] == UInt8(ascii: "-")
            index += 1
        }
        var radix = base == 0 ? 10 : base
        if base == 0, index + 1 < text.endIndex, text[index] == UInt8(ascii: "0") {
            switch text[index + 1] | 0x20 {
            case UInt8(ascii: "x"): radix = 16
            case UInt8(ascii: "o"): radix = 8
            case UInt8(ascii: "b"): radix = 2
            default: break
            }
        }
        // An underscore may follow a prefix (`0x_1`) or a digit, never another underscore or the end.
        var underscoreAllowed = radix != 10
        if radix != 10 { index += 2 }
        var lastWasUnderscore = false
        var digits: [UInt8] = []
        while index < text.endIndex {
            let byte = text[index]
            if byte == UInt8(ascii: "_") {
                guard underscoreAllowed, !lastWasUnderscore else { return nil }
                lastWasUnderscore = true
            } else if let value = digitValue(byte), Int(value) < radix {
                digits.append(value)
                lastWasUnderscore = false
                underscoreAllowed = true
            } else {
                break
            }
            index += 1
        }
        guard !digits.isEmpty, !lastWasUnderscore else { return nil }
        if base == 0, radix == 10, digits.first == 0, digits.contains(where: { $0 != 0 }) {
            return nil  // "leading zeros in decimal integer literals are not permitted"
        }
        while index < text.endIndex, isPythonSpace(text[index]) { index += 1 }
        guard index == text.endIndex else { return nil }
        return PickleIntegerText(negative: negative, radix: radix, digits: digits)
    }

    /// What INT reads: C `strtol(s, &end, 0)`, kept when it stops at the newline or a NUL without
    /// overflowing a C long (then `isBoolean` is CPython's `len == 3` rule: a two-byte line whose value is 0 or
    /// 1 is False or True: `I00`, `I01`, `I 1`, `I-0`); otherwise `PyLong_FromString(s, NULL, 0)`.
    enum IntOpcodeValue {
        case small(Int64, isBoolean: Bool)
        case text(PickleIntegerText)
    }

    static func intOpcode(_ line: ArraySlice<UInt8>) -> IntOpcodeValue? {
        let (value, end, overflow) = strtol(line)
        if !overflow, end == line.endIndex || line[end] == 0 {
            return .small(value, isBoolean: line.count == 2 && (value == 0 || value == 1))
        }
        // CPython hands the whole line, newline included, to PyLong_FromString (trailing whitespace).
        return pythonInt(line, base: 0).map { .text($0) }
    }

    /// glibc `strtol(s, &end, 0)` on a 64-bit long: the value (0 with `end` at the start when no digit
    /// follows the blanks and sign) and whether it overflowed.
    static func strtol(_ line: ArraySlice<UInt8>) -> (value: Int64, end: Int, overflow: Bool) {
        var index = line.startIndex
        while index < line.endIndex, isCSpace(line[index]) { index += 1 }
        var negative = false
        if index < line.endIndex, line[index] == UInt8(ascii: "-") || line[index] == UInt8(ascii: "+") {
            negative = line[index] == UInt8(ascii: "-")
            index += 1
        }
        var radix: UInt64 = 10
        if index < line.endIndex, line[index] == UInt8(ascii: "0") {
            radix = 8
            if index + 2 < line.endIndex, line[index + 1] | 0x20 == UInt8(ascii: "x"),
                let hex = digitValue(line[index + 2]), hex < 16
            {
                radix = 16
                index += 2
            }
        }
        let digitsStart = index
        var magnitude: UInt64 = 0
        var overflow = false
        while index < line.endIndex, let digit = digitValue(line[index]), UInt64(digit) < radix {
            let (times, overflowA) = magnitude.multipliedReportingOverflow(by: radix)
            let (sum, overflowB) = times.addingReportingOverflow(UInt64(digit))
            overflow = overflow || overflowA || overflowB
            magnitude = sum
            index += 1
        }
        guard index > digitsStart else { return (0, line.startIndex, false) }
        overflow = overflow || magnitude > (negative ? UInt64(Int64.max) + 1 : UInt64(Int64.max))
        if overflow { return (0, index, true) }
        let value = negative ? (magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)) : Int64(magnitude)
        return (value, index, false)
    }

    /// C `isspace` in the C locale (what `strtol` skips).
    static func isCSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }

    /// `Py_ISSPACE` (what `PyLong_FromString` skips): the same six blanks as C (not `str.isspace`'s 0x1C–0x1F).
    static func isPythonSpace(_ byte: UInt8) -> Bool { isCSpace(byte) }

    static func digitValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
