/// Random access to bytes (a file, memory, a window of either): the one source protocol.
///
/// Parsers fetch only the parts they need (directories, pickles, chunks) and never load a
/// multi-gigabyte file to inspect it; the container engine reads chunks in parallel from it.
public protocol ByteSource: Sendable {
    /// Total length in bytes, fixed when the source was opened.
    var size: Int { get }
    /// Fills `buffer` from `offset`; throws `.shortRead` if fewer bytes are available.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(IOError)
    /// Reads exactly `count` bytes at `offset`, checked against `size` before allocating.
    func read(at offset: Int, count: Int) throws(IOError) -> [UInt8]
}

extension ByteSource {
    /// A name for errors (the path for files).
    public var name: String { (self as? InputFile)?.path ?? "input" }

    public func read(at offset: Int, count: Int) throws(IOError) -> [UInt8] {
        guard offset >= 0, count >= 0, offset <= size, count <= size - offset else {
            throw .shortRead(path: name, offset: offset, needed: max(0, count - max(0, size - max(0, offset))))
        }
        if count == 0 { return [] }
        // Uninitialised: zero-filling first cost as much as the scan of a small checkpoint.
        var failure: IOError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(IOError) {
                try read(into: UnsafeMutableRawBufferPointer(buffer), at: offset)
            } catch {
                failure = error
            }
            initialized = count
        }
        if let failure { throw failure }
        return bytes
    }
}

/// A sequential source (standard input, a pipe, a decrypting stream): what the sealer reads.
public protocol ByteStream: AnyObject {
    /// Reads up to `buffer.count` bytes; returns 0 only at the end of input.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(IOError) -> Int
}

extension ByteStream {
    /// Reads until `buffer` is full or the input ends; returns the count read.
    public func readFully(into buffer: UnsafeMutableRawBufferPointer) throws(IOError) -> Int {
        var filled = 0
        while filled < buffer.count {
            let count = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if count == 0 { break }
            filled += count
        }
        return filled
    }
}
