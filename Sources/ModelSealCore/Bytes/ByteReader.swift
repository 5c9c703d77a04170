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
    @inlinable public var position: Int { cursor }
    /// Storage behind `position`; visible to inlined code only, so callers in other modules get
    /// the integer reads specialised and inlined (they were a third of a scan's time as calls).
    @usableFromInline var cursor: Int

    /// Reads the whole array.
    @inlinable public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.start = 0
        self.end = bytes.count
        self.cursor = 0
    }

    /// Reads the window `range` of `bytes`; positions stay absolute so errors report file offsets.
    @inlinable public init?(_ bytes: [UInt8], range: Range<Int>) {
        guard range.lowerBound >= 0, range.upperBound <= bytes.count else { return nil }
        self.bytes = bytes
        self.start = range.lowerBound
        self.end = range.upperBound
        self.cursor = range.lowerBound
    }

    /// Bytes left to read.
    @inlinable public var remaining: Int { end - position }
    /// True when every byte has been consumed.
    @inlinable public var isAtEnd: Bool { position == end }
    /// Offset of the cursor from the start of the window.
    @inlinable public var offset: Int { position - start }

    /// Reads one byte.
    @inlinable public mutating func readUInt8() -> UInt8? {
        guard position < end else { return nil }
        defer { cursor += 1 }
        return bytes[position]
    }

    /// Reads a big-endian unsigned integer of `T`'s width.
    @inlinable public mutating func readBigEndian<T: FixedWidthInteger & UnsignedInteger>(_: T.Type = T.self) -> T? {
        let width = T.bitWidth / 8
        guard remaining >= width else { return nil }
        var value: T = 0
        for index in position..<(position + width) {
            value = (value << 8) | T(bytes[index])
        }
        cursor += width
        return value
    }

    /// Reads a little-endian unsigned integer of `T`'s width.
    @inlinable public mutating func readLittleEndian<T: FixedWidthInteger & UnsignedInteger>(_: T.Type = T.self) -> T? {
        let width = T.bitWidth / 8
        guard remaining >= width else { return nil }
        var value: T = 0
        for index in (position..<(position + width)).reversed() {
            value = (value << 8) | T(bytes[index])
        }
        cursor += width
        return value
    }

    /// Reads `count` bytes; `nil` when `count` is negative or more than remain.
    @inlinable public mutating func readBytes(_ count: Int) -> ArraySlice<UInt8>? {
        guard count >= 0, count <= remaining else { return nil }
        defer { cursor += count }
        return bytes[position..<(position + count)]
    }

    /// Skips `count` bytes; `false` (and no move) when fewer remain.
    @discardableResult
    @inlinable public mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, count <= remaining else { return false }
        cursor += count
        return true
    }

    /// Looks at the next byte without consuming it.
    @inlinable public func peekUInt8() -> UInt8? {
        position < end ? bytes[position] : nil
    }

    /// Moves the cursor to an absolute position inside the window.
    @inlinable public mutating func seek(to absolute: Int) -> Bool {
        guard absolute >= start, absolute <= end else { return false }
        cursor = absolute
        return true
    }
}
