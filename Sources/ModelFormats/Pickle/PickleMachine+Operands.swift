import ModelSealCore

/// Operands that follow an opcode, read through the bounds-checked reader and charged to the allocation cap.
extension PickleRun {
    // MARK: - Reading operands

    mutating func readByte() throws(ModelFormatsError) -> UInt8 {
        guard let value = reader.readUInt8() else { throw truncated(1) }
        return value
    }

    mutating func readUInt16() throws(ModelFormatsError) -> UInt16 {
        guard let value = reader.readLittleEndian(UInt16.self) else { throw truncated(2) }
        return value
    }

    mutating func readUInt32() throws(ModelFormatsError) -> UInt32 {
        guard let value = reader.readLittleEndian(UInt32.self) else { throw truncated(4) }
        return value
    }

    mutating func readUInt64() throws(ModelFormatsError) -> UInt64 {
        guard let value = reader.readLittleEndian(UInt64.self) else { throw truncated(8) }
        return value
    }

    mutating func readUInt64BigEndian() throws(ModelFormatsError) -> UInt64 {
        guard let value = reader.readBigEndian(UInt64.self) else { throw truncated(8) }
        return value
    }

    /// A 64-bit length, checked against the bytes left before anything is allocated.
    mutating func readLength64() throws(ModelFormatsError) -> Int {
        let length = try readUInt64()
        guard length <= UInt64(reader.remaining) else {
            throw truncated(Int(clamping: length) - reader.remaining)
        }
        return Int(length)
    }

    mutating func readPayload(_ count: Int) throws(ModelFormatsError) -> [UInt8] {
        guard count <= reader.remaining else { throw truncated(count - reader.remaining) }
        try charge(count)
        guard let slice = reader.readBytes(count) else { throw truncated(count) }
        return Array(slice)
    }

    /// A UTF-8 payload as a string, decoded straight from the input (no intermediate array).
    mutating func readText(_ count: Int) throws(ModelFormatsError) -> String {
        guard count <= reader.remaining else { throw truncated(count - reader.remaining) }
        try charge(count)
        guard let slice = reader.readBytes(count) else { throw truncated(count) }
        if let text = String(strictUTF8: slice) { return text }
        guard let text = Self.decodeSurrogatePass(slice) else { throw fail("string is not valid UTF-8") }
        return text
    }

    /// CPython decodes BINUNICODE payloads with `utf-8` / `surrogatepass`: UTF-8 in which encoded surrogates
    /// (`ED A0..BF xx`) are allowed. Each one stands as U+FFFD here (a Swift string holds no lone surrogate).
    static func decodeSurrogatePass(_ bytes: ArraySlice<UInt8>) -> String? {
        var scalars = String.UnicodeScalarView()
        var index = bytes.startIndex
        func continuation(_ at: Int) -> UInt32? {
            guard at < bytes.endIndex, bytes[at] & 0xC0 == 0x80 else { return nil }
            return UInt32(bytes[at] & 0x3F)
        }
        while index < bytes.endIndex {
            let lead = bytes[index]
            var code: UInt32
            var width: Int
            switch lead {
            case 0x00...0x7F: (code, width) = (UInt32(lead), 1)
            case 0xC2...0xDF: (code, width) = (UInt32(lead & 0x1F), 2)
            case 0xE0...0xEF: (code, width) = (UInt32(lead & 0x0F), 3)
            case 0xF0...0xF4: (code, width) = (UInt32(lead & 0x07), 4)
            default: return nil
            }
            for offset in 1..<width {
                guard let bits = continuation(index + offset) else { return nil }
                code = code << 6 | bits
            }
            let minimum: UInt32 = width == 2 ? 0x80 : (width == 3 ? 0x800 : (width == 4 ? 0x10000 : 0))
            guard code >= minimum, code <= 0x10FFFF else { return nil }
            scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            index += width
        }
        return String(scalars)
    }

    /// A text line without its newline; CPython requires the newline.
    mutating func readLine() throws(ModelFormatsError) -> [UInt8] {
        let start = reader.position
        let limit = min(reader.end, start + limits.maxLineLength + 1)
        var index = start
        while index < limit, reader.bytes[index] != 0x0A { index += 1 }
        guard index < limit else {
            if limit == reader.end { throw truncated(1) }
            throw ModelFormatsError.limitExceeded(what: "pickle text line", limit: limits.maxLineLength, offset: offset)
        }
        let line = Array(reader.bytes[start..<index])
        _ = reader.skip(index - start + 1)
        try charge(line.count)
        return line
    }

    func truncated(_ needed: Int) -> ModelFormatsError {
        .truncated(what: "pickle \(opcode.name) operand", offset: offset, needed: max(1, needed))
    }

    // MARK: - Binary integers

    /// Drops redundant sign bytes so equal integers compare equal whatever opcode spelled them.
    func minimalTwosComplement(_ bytes: [UInt8]) -> [UInt8] {
        var trimmed = bytes
        while trimmed.count > 1, let last = trimmed.last {
            let previousNegative = trimmed[trimmed.count - 2] & 0x80 != 0
            guard (last == 0x00 && !previousNegative) || (last == 0xFF && previousNegative) else { break }
            trimmed.removeLast()
        }
        return trimmed
    }

    /// pickle's `decode_long`: little-endian two's complement.
    func decodeLong(_ bytes: [UInt8]) -> PickleValue {
        if bytes.isEmpty { return .int(0) }
        if bytes.count <= 8 {
            var value: UInt64 = 0
            for (index, byte) in bytes.enumerated() { value |= UInt64(byte) << (8 * UInt64(index)) }
            let shift = UInt64(64 - 8 * bytes.count)
            return .int(Int64(bitPattern: value << shift) >> Int64(shift))
        }
        // Longer encodings that still fit (redundant sign bytes) are normalised.
        let negative = (bytes.last ?? 0) & 0x80 != 0
        let filler: UInt8 = negative ? 0xFF : 0x00
        if bytes[8...].allSatisfy({ $0 == filler }) && ((bytes[7] & 0x80 != 0) == negative) {
            return decodeLong(Array(bytes[0..<8]))
        }
        return .bigInt(minimalTwosComplement(bytes))
    }
}
