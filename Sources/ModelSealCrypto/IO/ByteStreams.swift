import FoundationEssentials
import ModelSealCore

/// A sequential source of bytes (a file, standard input, memory).
public protocol ByteSource: AnyObject {
    /// Reads up to `buffer.count` bytes; returns 0 only at the end of input.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SealError) -> Int
}

/// A source that can read any range: what opening needs (chunks in parallel, verify-then-emit).
public protocol RandomAccessByteSource: AnyObject {
    /// Total length in bytes, fixed when the source was opened.
    var size: Int { get }
    /// Fills `buffer` from `offset`; throws if fewer bytes are available (the file changed).
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(SealError)
}

/// A destination of bytes.
public protocol ByteSink: AnyObject {
    /// Writes all of `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer) throws(SealError)
}

extension ByteSink {
    /// Writes the bytes of an array or `Data`.
    public func write(contentsOf data: some ContiguousBytes) throws(SealError) {
        try data.withUnsafeBytes { buffer in Result { () throws(SealError) in try self.write(buffer) } }.get()
    }
}

extension ByteSource {
    /// Reads until `buffer` is full or the input ends; returns the count read.
    public func readFully(into buffer: UnsafeMutableRawBufferPointer) throws(SealError) -> Int {
        var filled = 0
        while filled < buffer.count {
            let count = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if count == 0 { break }
            filled += count
        }
        return filled
    }
}

extension RandomAccessByteSource {
    /// Reads `count` bytes at `offset` into a new array.
    public func bytes(at offset: Int, count: Int) throws(SealError) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        try result.withUnsafeMutableBytes { buffer in
            Result { () throws(SealError) in try read(into: buffer, at: offset) }
        }.get()
        return result
    }
}

/// Bytes in memory as a source.
public final class MemorySource: ByteSource, RandomAccessByteSource {
    let bytes: [UInt8]
    var position = 0

    /// A source over `bytes`.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var size: Int { bytes.count }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(SealError) -> Int {
        let count = min(buffer.count, bytes.count - position)
        bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[position..<(position + count)])) }
        position += count
        return count
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(SealError) {
        guard offset >= 0, offset <= bytes.count, buffer.count <= bytes.count - offset else {
            throw .inputFailed("read past the end of the input")
        }
        bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + buffer.count)])) }
    }
}

/// Collects written bytes in memory.
public final class MemorySink: ByteSink {
    /// Everything written so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty sink.
    public init() {}

    public func write(_ bytes: UnsafeRawBufferPointer) throws(SealError) {
        self.bytes.append(contentsOf: bytes)
    }
}

/// Discards everything: used to verify a file without releasing plaintext.
public final class DiscardingSink: ByteSink {
    /// Bytes written so far.
    public private(set) var count = 0
    /// A sink that keeps nothing.
    public init() {}
    public func write(_ bytes: UnsafeRawBufferPointer) throws(SealError) { count += bytes.count }
}
