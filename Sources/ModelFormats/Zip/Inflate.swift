/// A small DEFLATE (RFC 1951) decoder for compressed `.npz` members.
///
/// Output is capped at the size the central directory declares, so a zip bomb stops at once;
/// every code, length and distance is checked against the bytes produced so far.
enum Inflate {
    static func decompress(_ input: [UInt8], expectedSize: Int, offset: Int) throws -> [UInt8] {
        var state = InflateState(input: input, limit: expectedSize, offset: offset)
        try state.run()
        guard state.output.count == expectedSize else {
            throw ModelFormatsError.malformed(
                what: "deflate stream", offset: offset,
                reason: "produced \(state.output.count) bytes, the archive declares \(expectedSize)")
        }
        return state.output
    }

    /// The first `count` bytes of the stream (fewer when it ends first), inflating no further: a scanner
    /// probes a 1 GiB member for 64 KiB. `complete` is true when the stream ended within `count` bytes.
    /// Truncated input throws `truncated` (the caller passes more of the member and tries again).
    public static func prefix(
        _ input: [UInt8], count: Int, expectedSize: Int, offset: Int
    ) throws -> (bytes: [UInt8], complete: Bool) {
        var state = InflateState(input: input, limit: expectedSize, offset: offset, stopAt: min(count, expectedSize))
        do {
            try state.run()
        } catch is InflatePrefixReached {
            return (state.output, false)
        }
        return (state.output, true)
    }
}

/// Thrown inside `InflateState` when a prefix read has all the bytes it asked for.
struct InflatePrefixReached: Error {}

/// Canonical Huffman decoding table: counts per length and symbols in code order.
struct Huffman {
    var counts = [Int](repeating: 0, count: 16)
    var symbols: [Int] = []

    init?(lengths: [Int]) {
        for length in lengths { counts[length] += 1 }
        counts[0] = 0
        var left = 1
        for length in 1..<16 {
            left <<= 1
            left -= counts[length]
            if left < 0 { return nil }  // over-subscribed
        }
        var offsets = [Int](repeating: 0, count: 16)
        for length in 1..<15 { offsets[length + 1] = offsets[length] + counts[length] }
        symbols = [Int](repeating: 0, count: lengths.count)
        for (symbol, length) in lengths.enumerated() where length != 0 {
            symbols[offsets[length]] = symbol
            offsets[length] += 1
        }
    }
}

struct InflateState {
    let input: [UInt8]
    let limit: Int
    let offset: Int
    var output: [UInt8] = []
    var position = 0
    var bitBuffer = 0
    var bitCount = 0
    /// Stop (throwing `InflatePrefixReached`) once this many bytes are out.
    var stopAt: Int?

    init(input: [UInt8], limit: Int, offset: Int, stopAt: Int? = nil) {
        self.input = input
        self.limit = limit
        self.offset = offset
        self.stopAt = stopAt
        output.reserveCapacity(min(limit, stopAt ?? limit, 1 << 26))
    }

    func fail(_ reason: String) -> ModelFormatsError {
        .malformed(what: "deflate stream", offset: offset + position, reason: reason)
    }

    mutating func bits(_ count: Int) throws -> Int {
        while bitCount < count {
            guard position < input.count else {
                throw ModelFormatsError.truncated(what: "deflate stream", offset: offset + position, needed: 1)
            }
            bitBuffer |= Int(input[position]) << bitCount
            position += 1
            bitCount += 8
        }
        let value = bitBuffer & ((1 << count) - 1)
        bitBuffer >>= count
        bitCount -= count
        return value
    }

    mutating func decode(_ table: Huffman) throws -> Int {
        var code = 0
        var first = 0
        var index = 0
        for length in 1..<16 {
            code |= try bits(1)
            let count = table.counts[length]
            if code - count < first { return table.symbols[index + (code - first)] }
            index += count
            first += count
            first <<= 1
            code <<= 1
        }
        throw fail("invalid Huffman code")
    }

    mutating func emit(_ byte: UInt8) throws {
        if let stop = stopAt, output.count >= stop { throw InflatePrefixReached() }
        guard output.count < limit else { throw fail("output exceeds the declared size") }
        output.append(byte)
    }

    static let lengthBase = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227,
        258,
    ]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097,
        6145, 8193, 12289, 16385, 24577,
    ]
    static let distanceExtra = [
        0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
    ]

    static let fixedLiteral: Huffman? = {
        var lengths = [Int](repeating: 8, count: 288)
        for symbol in 144..<256 { lengths[symbol] = 9 }
        for symbol in 256..<280 { lengths[symbol] = 7 }
        return Huffman(lengths: lengths)
    }()
    static let fixedDistance: Huffman? = Huffman(lengths: [Int](repeating: 5, count: 30))

    mutating func run() throws {
        var last = 0
        while last == 0 {
            last = try bits(1)
            switch try bits(2) {
            case 0:
                bitBuffer = 0
                bitCount = 0
                guard position + 4 <= input.count else {
                    throw ModelFormatsError.truncated(
                        what: "deflate stored block", offset: offset + position, needed: 4)
                }
                let length = Int(input[position]) | Int(input[position + 1]) << 8
                let complement = Int(input[position + 2]) | Int(input[position + 3]) << 8
                position += 4
                guard length == (~complement & 0xFFFF) else { throw fail("stored block length check failed") }
                guard position + length <= input.count else {
                    throw ModelFormatsError.truncated(
                        what: "deflate stored block", offset: offset + position, needed: length)
                }
                guard output.count + length <= limit else { throw fail("output exceeds the declared size") }
                if let stop = stopAt, output.count + length >= stop {
                    output.append(contentsOf: input[position..<(position + stop - output.count)])
                    throw InflatePrefixReached()
                }
                output.append(contentsOf: input[position..<(position + length)])
                position += length
            case 1:
                guard let literal = Self.fixedLiteral, let distance = Self.fixedDistance else {
                    throw fail("internal table error")
                }
                try codes(literal, distance)
            case 2:
                let (literal, distance) = try dynamicTables()
                try codes(literal, distance)
            default:
                throw fail("invalid block type")
            }
        }
    }

    mutating func dynamicTables() throws -> (Huffman, Huffman) {
        let literalCount = try bits(5) + 257
        let distanceCount = try bits(5) + 1
        let codeCount = try bits(4) + 4
        guard literalCount <= 286, distanceCount <= 30 else { throw fail("too many length or distance codes") }
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        var codeLengths = [Int](repeating: 0, count: 19)
        for index in 0..<codeCount { codeLengths[order[index]] = try bits(3) }
        guard let lengthCode = Huffman(lengths: codeLengths) else { throw fail("invalid code-length code") }
        var lengths: [Int] = []
        while lengths.count < literalCount + distanceCount {
            let symbol = try decode(lengthCode)
            switch symbol {
            case 0..<16: lengths.append(symbol)
            case 16:
                guard let previous = lengths.last else { throw fail("repeat with no previous length") }
                lengths.append(contentsOf: repeatElement(previous, count: 3 + (try bits(2))))
            case 17: lengths.append(contentsOf: repeatElement(0, count: 3 + (try bits(3))))
            default: lengths.append(contentsOf: repeatElement(0, count: 11 + (try bits(7))))
            }
        }
        guard lengths.count == literalCount + distanceCount else { throw fail("code lengths overrun") }
        guard lengths[256] != 0 else { throw fail("no end-of-block code") }
        guard let literal = Huffman(lengths: Array(lengths[0..<literalCount])),
            let distance = Huffman(lengths: Array(lengths[literalCount...]))
        else { throw fail("invalid literal or distance code") }
        return (literal, distance)
    }

    mutating func codes(_ literal: Huffman, _ distance: Huffman) throws {
        while true {
            let symbol = try decode(literal)
            if symbol < 256 {
                try emit(UInt8(symbol))
            } else if symbol == 256 {
                return
            } else {
                let index = symbol - 257
                guard index < Self.lengthBase.count else { throw fail("invalid length symbol") }
                let length = Self.lengthBase[index] + (try bits(Self.lengthExtra[index]))
                let distanceSymbol = try decode(distance)
                guard distanceSymbol < Self.distanceBase.count else { throw fail("invalid distance symbol") }
                let back = Self.distanceBase[distanceSymbol] + (try bits(Self.distanceExtra[distanceSymbol]))
                guard back <= output.count else { throw fail("distance reaches before the start of the output") }
                guard output.count + length <= limit else { throw fail("output exceeds the declared size") }
                let start = output.count - back
                for step in 0..<length {
                    if let stop = stopAt, output.count >= stop { throw InflatePrefixReached() }
                    output.append(output[start + step])
                }
            }
        }
    }
}
