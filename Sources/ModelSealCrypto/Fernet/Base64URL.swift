/// Strict base64url decoding (RFC 4648 §5) of text that arrives in runs of whole 4-character groups.
///
/// Only the last group of the whole text may carry `=` padding, and then its unused bits must be
/// zero, so every byte string has exactly one accepted text. Whitespace is not base64url: refused.
enum Base64URL {
    /// 0–63 for alphabet characters, 0xFF for everything else; immutable after initialisation.
    nonisolated(unsafe) static let table: UnsafeBufferPointer<UInt8> = {
        let table = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 256)
        table.initialize(repeating: 0xFF)
        for (index, character) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8.enumerated() {
            table[Int(character)] = UInt8(index)
        }
        return UnsafeBufferPointer(table)
    }()

    /// The 6-bit value of an alphabet character.
    static func value(of character: UInt8) -> UInt8? {
        let value = table[Int(character)]
        return value == 0xFF ? nil : value
    }

    /// Bytes that `textCount` characters (a multiple of 4) decode to at most.
    static func decodedCapacity(textCount: Int) -> Int { textCount / 4 * 3 }

    /// Decodes `text` (a multiple of 4 characters) into `output`; returns the bytes written.
    ///
    /// `isFinal` allows padding in the last group; `offset` is where `text` starts in the file,
    /// for error messages.
    static func decode(
        _ text: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, isFinal: Bool, offset: Int
    ) throws(FernetError) -> Int {
        precondition(text.count % 4 == 0 && output.count >= decodedCapacity(textCount: text.count))
        let groups = text.count / 4
        let plainGroups = isFinal && groups > 0 ? groups - 1 : groups
        var written = 0
        let table = Self.table
        do {
            var input = 0
            for _ in 0..<plainGroups {
                let a = table[Int(text[input])]
                let b = table[Int(text[input + 1])]
                let c = table[Int(text[input + 2])]
                let d = table[Int(text[input + 3])]
                guard (a | b | c | d) & 0xC0 == 0 else {
                    throw invalidCharacter(in: text, group: input, offset: offset)
                }
                let bits = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                output[written] = UInt8(truncatingIfNeeded: bits >> 16)
                output[written + 1] = UInt8(truncatingIfNeeded: bits >> 8)
                output[written + 2] = UInt8(truncatingIfNeeded: bits)
                written += 3
                input += 4
            }
            if plainGroups < groups {
                written += try decodeFinalGroup(
                    text, at: input, into: UnsafeMutableRawBufferPointer(rebasing: output[written...]),
                    offset: offset, table: table)
            }
        }
        return written
    }

    /// Decodes a small array of text (a multiple of 4 characters).
    static func decode(_ text: [UInt8], isFinal: Bool, offset: Int) throws(FernetError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: decodedCapacity(textCount: text.count))
        let written = try text.withUnsafeBytes { text in
            output.withUnsafeMutableBytes { output in
                Result { () throws(FernetError) in try decode(text, into: output, isFinal: isFinal, offset: offset) }
            }
        }.get()
        output.removeLast(output.count - written)
        return output
    }

    private static func decodeFinalGroup(
        _ text: UnsafeRawBufferPointer, at input: Int, into output: UnsafeMutableRawBufferPointer, offset: Int,
        table: UnsafeBufferPointer<UInt8>
    ) throws(FernetError) -> Int {
        let equals = UInt8(ascii: "=")
        let padding = text[input + 3] == equals ? (text[input + 2] == equals ? 2 : 1) : 0
        var values: [UInt8] = []
        for position in 0..<(4 - padding) {
            let value = table[Int(text[input + position])]
            guard value != 0xFF else { throw invalidCharacter(in: text, group: input, offset: offset) }
            values.append(value)
        }
        while values.count < 4 { values.append(0) }
        let bits = UInt32(values[0]) << 18 | UInt32(values[1]) << 12 | UInt32(values[2]) << 6 | UInt32(values[3])
        let count = 3 - padding
        // The bits after the last whole byte must be zero (canonical encoding).
        guard bits & ((1 << (8 * (3 - count))) - 1) == 0 else {
            throw .malformedText(offset: offset + input + 3 - padding, reason: "stray bits in the last character")
        }
        for index in 0..<count { output[index] = UInt8(truncatingIfNeeded: bits >> (16 - 8 * index)) }
        return count
    }

    private static func invalidCharacter(in text: UnsafeRawBufferPointer, group: Int, offset: Int) -> FernetError {
        for position in group..<(group + 4) where table[Int(text[position])] == 0xFF {
            let character = text[position]
            let reason: String
            switch character {
            case UInt8(ascii: "="): reason = "'=' padding before the end"
            case UInt8(ascii: "+"), UInt8(ascii: "/"): reason = "'+' or '/' (standard base64, not base64url)"
            case 0x09, 0x0A, 0x0D, 0x20: reason = "whitespace or a line break inside the token"
            default: reason = "byte 0x\(String(character, radix: 16)), not a base64url character"
            }
            return .malformedText(offset: offset + position, reason: reason)
        }
        return .malformedText(offset: offset + group, reason: "invalid group")
    }
}
