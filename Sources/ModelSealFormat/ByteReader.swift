/// A bounds-checked cursor over untrusted bytes.
///
/// Every parser of bytes from outside the process (sealed headers, pickles, zip archives,
/// safetensors headers, key files) reads through this type. Reads return `nil` and leave the
/// cursor where it was when too few bytes remain, so a caller can turn the shortfall into a
/// precise error (`.truncated(offset:needed:)`) instead of crashing.
public struct ByteReader: Sendable {
    /// The bytes being read.
    public let bytes: [UInt8]
    /// Index of the first byte of the window being read (inclusive).
    public let start: Int
    /// Index one past the last readable byte (exclusive).
    public let end: Int
    /// Absolute index of the next byte to read.
    public private(set) var position: Int

    /// Reads the whole array.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.start = 0
        self.end = bytes.count
        self.position = 0
    }

    /// Reads the window `range` of `bytes`; positions stay absolute so errors report file offsets.
    public init?(_ bytes: [UInt8], range: Range<Int>) {
        guard range.lowerBound >= 0, range.upperBound <= bytes.count else { return nil }
        self.bytes = bytes
        self.start = range.lowerBound
        self.end = range.upperBound
        self.position = range.lowerBound
    }

    /// Bytes left to read.
    public var remaining: Int { end - position }
    /// True when every byte has been consumed.
    public var isAtEnd: Bool { position == end }
    /// Offset of the cursor from the start of the window.
    public var offset: Int { position - start }

    /// Reads one byte.
    public mutating func readUInt8() -> UInt8? {
        guard position < end else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    /// Reads a big-endian unsigned integer of `T`'s width.
    public mutating func readBigEndian<T: FixedWidthInteger & UnsignedInteger>(_: T.Type = T.self) -> T? {
        let width = T.bitWidth / 8
        guard remaining >= width else { return nil }
        var value: T = 0
        for index in position..<(position + width) {
            value = (value << 8) | T(bytes[index])
        }
        position += width
        return value
    }

    /// Reads a little-endian unsigned integer of `T`'s width.
    public mutating func readLittleEndian<T: FixedWidthInteger & UnsignedInteger>(_: T.Type = T.self) -> T? {
        let width = T.bitWidth / 8
        guard remaining >= width else { return nil }
        var value: T = 0
        for index in (position..<(position + width)).reversed() {
            value = (value << 8) | T(bytes[index])
        }
        position += width
        return value
    }

    /// Reads `count` bytes; `nil` when `count` is negative or more than remain.
    public mutating func readBytes(_ count: Int) -> ArraySlice<UInt8>? {
        guard count >= 0, count <= remaining else { return nil }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    /// Skips `count` bytes; `false` (and no move) when fewer remain.
    @discardableResult
    public mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, count <= remaining else { return false }
        position += count
        return true
    }

    /// Looks at the next byte without consuming it.
    public func peekUInt8() -> UInt8? {
        position < end ? bytes[position] : nil
    }

    /// Moves the cursor to an absolute position inside the window.
    public mutating func seek(to absolute: Int) -> Bool {
        guard absolute >= start, absolute <= end else { return false }
        position = absolute
        return true
    }
}
