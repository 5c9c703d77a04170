/// Bytes in memory as a source: random access, and a stream from the start.
public final class MemorySource: ByteSource, ByteStream, @unchecked Sendable {
    /// The bytes.
    public let bytes: [UInt8]
    // Only the stream side moves it; random reads (the only ones shared across threads) do not.
    private var position = 0

    /// A source over `bytes`.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var size: Int { bytes.count }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(IOError) -> Int {
        let count = min(buffer.count, bytes.count - position)
        if count > 0 {
            bytes.withUnsafeBytes {
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[position..<(position + count)]))
            }
        }
        position += count
        return count
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(IOError) {
        guard offset >= 0, offset <= bytes.count, buffer.count <= bytes.count - offset else {
            throw .shortRead(path: "input", offset: offset, needed: buffer.count - max(0, bytes.count - offset))
        }
        if buffer.count > 0 {
            bytes.withUnsafeBytes {
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + buffer.count)]))
            }
        }
    }

    public func read(at offset: Int, count: Int) throws(IOError) -> [UInt8] {
        guard offset >= 0, count >= 0, offset <= bytes.count, count <= bytes.count - offset else {
            throw .shortRead(path: "input", offset: offset, needed: count - max(0, bytes.count - max(0, offset)))
        }
        if offset == 0 && count == bytes.count { return bytes }  // shared, copied only on write
        return Array(bytes[offset..<(offset + count)])
    }
}

/// A window of another source, addressed from 0 (a stored zip member read in place).
public struct SliceSource: ByteSource {
    /// The source windowed.
    public let base: any ByteSource
    /// The window in `base`.
    public let range: Range<Int>

    /// `nil` when `range` is not inside `base`.
    public init?(_ base: any ByteSource, range: Range<Int>) {
        guard range.lowerBound >= 0, range.upperBound <= base.size else { return nil }
        self.base = base
        self.range = range
    }

    public var size: Int { range.count }

    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(IOError) {
        guard offset >= 0, offset <= size, buffer.count <= size - offset else {
            throw .shortRead(path: base.name, offset: range.lowerBound + offset, needed: buffer.count)
        }
        try base.read(into: buffer, at: range.lowerBound + offset)
    }
}

/// Memory owned by the caller (the C ABI's buffers) as a source; valid while the caller keeps it.
public final class BorrowedBytesSource: ByteSource, ByteStream, @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
    private var position = 0

    /// A source over `bytes`, which must outlive it.
    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    public var size: Int { bytes.count }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(IOError) -> Int {
        let count = min(buffer.count, bytes.count - position)
        if count > 0 { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])) }
        position += count
        return count
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(IOError) {
        guard offset >= 0, offset <= bytes.count, buffer.count <= bytes.count - offset else {
            throw .shortRead(path: "buffer", offset: offset, needed: buffer.count)
        }
        if buffer.count > 0 {
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + buffer.count)]))
        }
    }
}
