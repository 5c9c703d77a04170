import ModelSealCore

/// Bytes owned by the caller, read in place: sealing a buffer another runtime holds (a Python
/// `bytes`) without copying it. The caller keeps the memory alive and unchanged while in use.
public final class BorrowedBytesSource: ByteSource, RandomAccessByteSource {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    /// A source over `bytes`, which must outlive it.
    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    public var size: Int { bytes.count }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(SealError) -> Int {
        let count = min(buffer.count, bytes.count - position)
        if count > 0 { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])) }
        position += count
        return count
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(SealError) {
        guard offset >= 0, offset <= bytes.count, buffer.count <= bytes.count - offset else {
            throw .inputFailed("read past the end of the input")
        }
        if buffer.count > 0 {
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + buffer.count)]))
        }
    }
}
