import ModelSealCore

/// Where writers put their bytes: a file (`FileByteSink`) or memory (`MemoryByteSink`).
public protocol ByteSink: AnyObject {
    /// Bytes written so far.
    var offset: Int { get }
    func write(_ buffer: UnsafeRawBufferPointer) throws
}

extension ByteSink {
    /// Appends an array of bytes.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }
}

extension FileByteSink: ByteSink {}

/// An in-memory sink for tests and small outputs.
public final class MemoryByteSink: ByteSink {
    public private(set) var bytes: [UInt8] = []
    public init() {}
    public var offset: Int { bytes.count }
    public func write(_ buffer: UnsafeRawBufferPointer) throws {
        bytes.append(contentsOf: buffer)
    }
}
