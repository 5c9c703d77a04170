import ModelSealCore

/// Protocol-0 text forms: integer, string and unicode literals and memo keys, decoded as CPython does.
extension PickleRun {
    // MARK: - Decoding

    func utf8(_ bytes: [UInt8]) throws(ModelFormatsError) -> String {
        guard let text = String(strictUTF8: bytes) else { throw fail("string is not valid UTF-8") }
        return text
    }

    /// Python 2 `str` payloads: text when they are UTF-8 (torch loads with encoding="utf-8"); otherwise bytes,
    /// or, in a lenient (scanning) machine, latin-1 text: `pickle.load(f, encoding="latin1")` is the widest
    /// reading a caller can ask for, and it reads on where utf-8 stops.
    func byteString(_ bytes: [UInt8]) -> PickleValue {
        if let text = String(strictUTF8: bytes) { return .string(text) }
        guard lenient else { return .bytes(bytes) }
        return .string(String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) })))
    }

    /// INT's operand as `_pickle.c` reads it (`PickleIntegerText.intOpcode`).
    func parseIntOpcode(_ line: [UInt8]) throws(ModelFormatsError) -> PickleValue {
        guard !line.isEmpty, let parsed = PickleIntegerText.intOpcode(line[...]) else {
            throw fail("could not convert string to int")
        }
        switch parsed {
        case let .small(value, isBoolean): return isBoolean ? .bool(value == 1) : .int(value)
        case let .text(text): return try integerValue(text)
        }
    }

    /// LONG's operand: a trailing `L` dropped, then `PyLong_FromString(s, NULL, 0)`.
    func parseLongOpcode(_ line: [UInt8]) throws(ModelFormatsError) -> PickleValue {
        guard !line.isEmpty else { throw fail("could not convert string to int") }
        let body = line.last == UInt8(ascii: "L") ? line.dropLast() : line[...]
        guard let text = PickleIntegerText.pythonInt(body, base: 0) else { throw fail("invalid literal for int()") }
        return try integerValue(text)
    }

    /// The value of parsed digits: Int64 when it fits, otherwise two's-complement bytes.
    func integerValue(_ text: PickleIntegerText) throws(ModelFormatsError) -> PickleValue {
        let significant = text.digits.drop { $0 == 0 }
        guard significant.count <= limits.maxIntegerDigits else {
            throw ModelFormatsError.limitExceeded(
                what: "integer digits", limit: limits.maxIntegerDigits, offset: offset)
        }
        // Little-endian base-256 magnitude, then two's complement.
        var magnitude: [UInt8] = [0]
        for digit in significant {
            var carry = Int(digit)
            for index in magnitude.indices {
                let value = Int(magnitude[index]) * text.radix + carry
                magnitude[index] = UInt8(value & 0xFF)
                carry = value >> 8
            }
            while carry > 0 {
                magnitude.append(UInt8(carry & 0xFF))
                carry >>= 8
            }
        }
        magnitude.append(0)  // sign byte
        if text.negative {
            var carry = 1
            for index in magnitude.indices {
                let value = Int(~magnitude[index]) + carry
                magnitude[index] = UInt8(value & 0xFF)
                carry = value >> 8
            }
        }
        return decodeLong(magnitude)
    }

    /// PUT/GET keys: `PyLong_FromString(s, NULL, 10)` (blanks, sign, underscores, leading zeros), as an index.
    func parseMemoKey(_ line: [UInt8]) throws(ModelFormatsError) -> UInt64 {
        guard !line.isEmpty, let text = PickleIntegerText.pythonInt(line[...], base: 10) else {
            throw fail("memo key is not a decimal integer")
        }
        let significant = text.digits.drop { $0 == 0 }
        var key: UInt64 = 0
        for digit in significant {
            guard key < UInt64(Int64.max) / 10 else { throw fail("memo key out of range") }
            key = key * 10 + UInt64(digit)
        }
        guard !text.negative || key == 0 else { throw fail("negative memo key") }
        return key
    }

    /// Decodes a protocol-0 STRING literal (`'...'` or `"..."` with Python escapes).
    func unquoteStringLiteral(_ line: [UInt8]) throws(ModelFormatsError) -> [UInt8] {
        guard line.count >= 2, let quote = line.first, quote == 0x27 || quote == 0x22, line.last == quote else {
            throw fail("the STRING opcode argument must be quoted")
        }
        let body = line[1..<(line.count - 1)]
        var output: [UInt8] = []
        output.reserveCapacity(body.count)
        var index = body.startIndex
        while index < body.endIndex {
            let byte = body[index]
            index += 1
            guard byte == 0x5C else {
                output.append(byte)
                continue
            }
            guard index < body.endIndex else { throw fail("trailing backslash in STRING") }
            let escape = body[index]
            index += 1
            switch escape {
            case 0x5C: output.append(0x5C)
            case 0x27: output.append(0x27)
            case 0x22: output.append(0x22)
            case 0x6E: output.append(0x0A)  // n
            case 0x74: output.append(0x09)  // t
            case 0x72: output.append(0x0D)  // r
            case 0x61: output.append(0x07)  // a
            case 0x62: output.append(0x08)  // b
            case 0x66: output.append(0x0C)  // f
            case 0x76: output.append(0x0B)  // v
            case 0x0A: break  // line continuation
            case 0x78:  // xhh
                guard index + 2 <= body.endIndex,
                    let value = UInt8(String(decoding: body[index..<(index + 2)], as: UTF8.self), radix: 16)
                else { throw fail("invalid \\x escape in STRING") }
                output.append(value)
                index += 2
            case 0x30...0x37:  // up to three octal digits
                var value = Int(escape - 0x30)
                var taken = 1
                while taken < 3, index < body.endIndex, (0x30...0x37).contains(body[index]) {
                    value = value * 8 + Int(body[index] - 0x30)
                    index += 1
                    taken += 1
                }
                output.append(UInt8(truncatingIfNeeded: value))
            default:
                output.append(0x5C)
                output.append(escape)
            }
        }
        return output
    }

    /// Decodes `raw-unicode-escape`: bytes are Latin-1 except `\uXXXX` and `\UXXXXXXXX`.
    func decodeRawUnicodeEscape(_ line: [UInt8]) throws(ModelFormatsError) -> String {
        var scalars = String.UnicodeScalarView()
        var index = 0
        while index < line.count {
            let byte = line[index]
            if byte == 0x5C, index + 1 < line.count, line[index + 1] == 0x75 || line[index + 1] == 0x55 {
                let width = line[index + 1] == 0x75 ? 4 : 8
                guard index + 2 + width <= line.count,
                    let code = UInt32(
                        String(decoding: line[(index + 2)..<(index + 2 + width)], as: UTF8.self), radix: 16),
                    code <= 0x10FFFF
                else { throw fail("invalid \\u escape in UNICODE") }
                // A lone surrogate (CPython keeps it in the str) stands as U+FFFD: it names nothing importable.
                scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                index += 2 + width
            } else {
                scalars.append(Unicode.Scalar(byte))
                index += 1
            }
        }
        return String(scalars)
    }
}

extension String {
    /// The string without leading and trailing ASCII whitespace (Python's `int()`/`float()` accept it).
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
