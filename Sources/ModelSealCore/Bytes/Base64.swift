/// The one base64 codec (RFC 4648): the standard alphabet (§4) and the URL-safe one (§5), strict.
///
/// Strict means: only alphabet characters (no whitespace), `=` only at the very end and only as
/// much as the length needs, and zero bits after the last whole byte, so each byte string has one
/// accepted text per alphabet and padding choice. `decodeGroups` is the fast path for long text
/// (the article's Fernet tokens); the rest is for short fields (keys, signatures, licenses).
public enum Base64 {
    /// Which 64 characters stand for the 6-bit values.
    public enum Alphabet: Sendable {
        /// `A–Z a–z 0–9 + /`.
        case standard
        /// `A–Z a–z 0–9 - _`.
        case urlSafe
    }

    /// Whether the text carries `=` padding to a multiple of four characters.
    public enum Padding: Sendable {
        /// Padding must be present.
        case required
        /// Padding must be absent.
        case forbidden
        /// Either, as PEM and OpenSSH readers accept.
        case optional
    }

    /// Why text is not base64; `offset` counts characters from the start of the text.
    public struct DecodingError: Error, Equatable, Sendable {
        /// Where the problem is.
        public let offset: Int
        /// What it is, in words a user can act on.
        public let reason: String
    }

    static let standardCharacters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    static let urlSafeCharacters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// 0–63 for alphabet characters, 0xFF for everything else; immutable after initialisation.
    nonisolated(unsafe) static let standardTable = makeTable(standardCharacters)
    nonisolated(unsafe) static let urlSafeTable = makeTable(urlSafeCharacters)

    static func makeTable(_ characters: [UInt8]) -> UnsafeBufferPointer<UInt8> {
        let table = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 256)
        table.initialize(repeating: 0xFF)
        for (index, character) in characters.enumerated() { table[Int(character)] = UInt8(index) }
        return UnsafeBufferPointer(table)
    }

    static func table(_ alphabet: Alphabet) -> UnsafeBufferPointer<UInt8> {
        alphabet == .standard ? standardTable : urlSafeTable
    }

    /// The text of `bytes`.
    public static func encode(
        _ bytes: some Collection<UInt8>, alphabet: Alphabet = .standard, padded: Bool = true
    ) -> String {
        let characters = alphabet == .standard ? standardCharacters : urlSafeCharacters
        let input = Array(bytes)
        var output: [UInt8] = []
        output.reserveCapacity((input.count + 2) / 3 * 4)
        var index = 0
        while index < input.count {
            let remaining = min(3, input.count - index)
            var group = 0
            for offset in 0..<3 { group = group << 8 | (offset < remaining ? Int(input[index + offset]) : 0) }
            for position in 0..<4 {
                if position <= remaining {
                    output.append(characters[(group >> (18 - 6 * position)) & 63])
                } else if padded {
                    output.append(UInt8(ascii: "="))
                }
            }
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The bytes of `text`, or `nil` when it is not strict base64 of this alphabet and padding.
    public static func decode(
        _ text: some StringProtocol, alphabet: Alphabet = .standard, padding: Padding = .required
    ) -> [UInt8]? {
        try? decodeChecked(Array(text.utf8), alphabet: alphabet, padding: padding)
    }

    /// The bytes of `text`, or the first problem with it.
    public static func decodeChecked(
        _ text: [UInt8], alphabet: Alphabet = .standard, padding: Padding = .required
    ) throws(DecodingError) -> [UInt8] {
        var body = text
        var padCount = 0
        while body.last == UInt8(ascii: "="), padCount < 2 {
            body.removeLast()
            padCount += 1
        }
        switch padding {
        case .required where text.count % 4 != 0:
            throw DecodingError(offset: text.count, reason: "missing '=' padding")
        case .forbidden where padCount > 0:
            throw DecodingError(offset: body.count, reason: "'=' padding where none is allowed")
        case .optional where padCount > 0 && text.count % 4 != 0:
            throw DecodingError(offset: body.count, reason: "wrong amount of '=' padding")
        default: break
        }
        guard body.count % 4 != 1 else { throw DecodingError(offset: body.count, reason: "impossible length") }
        let whole = body.count / 4 * 4
        let tail = body.count - whole
        var output = [UInt8](repeating: 0, count: decodedCapacity(textCount: whole) + max(0, tail - 1))
        let written = try body.withUnsafeBytes { text in
            output.withUnsafeMutableBytes { output in
                Result { () throws(DecodingError) -> Int in
                    var count = try decodeGroups(
                        UnsafeRawBufferPointer(rebasing: text[0..<whole]), into: output, isFinal: false,
                        alphabet: alphabet)
                    if tail > 0 {
                        count += try decodeTail(
                            UnsafeRawBufferPointer(rebasing: text[whole...]), at: whole,
                            into: UnsafeMutableRawBufferPointer(rebasing: output[count...]), alphabet: alphabet)
                    }
                    return count
                }
            }
        }.get()
        output.removeLast(output.count - written)
        return output
    }

    /// True when `character` is one of the alphabet's 64 characters (not `=`).
    public static func isCharacter(_ character: UInt8, of alphabet: Alphabet) -> Bool {
        table(alphabet)[Int(character)] != 0xFF
    }

    /// Bytes that `textCount` characters (a multiple of 4) decode to at most.
    public static func decodedCapacity(textCount: Int) -> Int { textCount / 4 * 3 }

    /// Decodes whole 4-character groups into `output`; returns the bytes written.
    ///
    /// `isFinal` allows `=` padding in the last group. Offsets in errors count from the start of `text`.
    public static func decodeGroups(
        _ text: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, isFinal: Bool,
        alphabet: Alphabet
    ) throws(DecodingError) -> Int {
        precondition(text.count % 4 == 0 && output.count >= decodedCapacity(textCount: text.count))
        let table = Self.table(alphabet)
        let groups = text.count / 4
        let plainGroups = isFinal && groups > 0 ? groups - 1 : groups
        var written = 0
        var input = 0
        for _ in 0..<plainGroups {
            let a = table[Int(text[input])]
            let b = table[Int(text[input + 1])]
            let c = table[Int(text[input + 2])]
            let d = table[Int(text[input + 3])]
            guard (a | b | c | d) & 0xC0 == 0 else {
                throw invalidCharacter(in: text, group: input, alphabet: alphabet)
            }
            let bits = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
            output[written] = UInt8(truncatingIfNeeded: bits >> 16)
            output[written + 1] = UInt8(truncatingIfNeeded: bits >> 8)
            output[written + 2] = UInt8(truncatingIfNeeded: bits)
            written += 3
            input += 4
        }
        if plainGroups < groups {
            let equals = UInt8(ascii: "=")
            let padding = text[input + 3] == equals ? (text[input + 2] == equals ? 2 : 1) : 0
            written += try decodeTail(
                UnsafeRawBufferPointer(rebasing: text[input..<(input + 4 - padding)]), at: input,
                into: UnsafeMutableRawBufferPointer(rebasing: output[written...]), alphabet: alphabet)
        }
        return written
    }

    /// Decodes 2–4 characters (the last group without its padding); the unused bits must be zero.
    static func decodeTail(
        _ text: UnsafeRawBufferPointer, at start: Int, into output: UnsafeMutableRawBufferPointer, alphabet: Alphabet
    ) throws(DecodingError) -> Int {
        let table = Self.table(alphabet)
        guard text.count >= 2 else { throw DecodingError(offset: start, reason: "impossible length") }
        var bits: UInt32 = 0
        for position in 0..<4 {
            var value: UInt8 = 0
            if position < text.count {
                value = table[Int(text[position])]
                guard value != 0xFF else { throw invalidCharacter(in: text, group: 0, alphabet: alphabet, base: start) }
            }
            bits = bits << 6 | UInt32(value)
        }
        let count = text.count - 1
        // The bits after the last whole byte must be zero (canonical encoding).
        guard bits & ((1 << (8 * (3 - count))) - 1) == 0 else {
            throw DecodingError(offset: start + text.count - 1, reason: "stray bits in the last character")
        }
        for index in 0..<count { output[index] = UInt8(truncatingIfNeeded: bits >> (16 - 8 * index)) }
        return count
    }

    static func invalidCharacter(
        in text: UnsafeRawBufferPointer, group: Int, alphabet: Alphabet, base: Int = 0
    ) -> DecodingError {
        let table = Self.table(alphabet)
        for position in group..<min(group + 4, text.count) where table[Int(text[position])] == 0xFF {
            let character = text[position]
            let reason: String
            switch character {
            case UInt8(ascii: "="): reason = "'=' padding before the end"
            case UInt8(ascii: "+"), UInt8(ascii: "/"): reason = "'+' or '/' (standard base64, not base64url)"
            case UInt8(ascii: "-"), UInt8(ascii: "_"): reason = "'-' or '_' (base64url, not standard base64)"
            case 0x09, 0x0A, 0x0D, 0x20: reason = "whitespace or a line break inside the text"
            default: reason = "byte 0x\(String(character, radix: 16)), not a base64 character"
            }
            return DecodingError(offset: base + position, reason: reason)
        }
        return DecodingError(offset: base + group, reason: "invalid group")
    }
}
