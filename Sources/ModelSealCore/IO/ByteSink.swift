/// A destination of bytes (an output file, memory, nothing): the one sink protocol.
public protocol ByteSink: AnyObject {
    /// Bytes written so far.
    var offset: Int { get }
    /// Writes all of `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer) throws(IOError)
}

extension ByteSink {
    /// Writes the bytes of an array.
    public func write(_ bytes: [UInt8]) throws(IOError) {
        try bytes.withUnsafeBytes { buffer in Result { () throws(IOError) in try write(buffer) } }.get()
    }

    /// Writes the bytes of an array, `Data` or any contiguous collection.
    public func write(contentsOf data: some ContiguousBytesView) throws(IOError) {
        try data.withBytes { buffer in Result { () throws(IOError) in try write(buffer) } }.get()
    }
}

/// Contiguous bytes without Foundation (`[UInt8]`, `ArraySlice<UInt8>`; Foundation's `Data` conforms where imported).
public protocol ContiguousBytesView {
    /// Calls `body` with the bytes.
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: ContiguousBytesView where Element == UInt8 {
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try withUnsafeBytes(body) }
}

extension ArraySlice: ContiguousBytesView where Element == UInt8 {
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try withUnsafeBytes(body) }
}

/// Collects written bytes in memory.
public final class MemorySink: ByteSink {
    /// Everything written so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty sink.
    public init() {}

    public var offset: Int { bytes.count }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(IOError) {
        self.bytes.append(contentsOf: bytes)
    }
}

/// Discards everything: used to verify a file without releasing plaintext.
public final class DiscardingSink: ByteSink {
    /// Bytes written so far.
    public private(set) var count = 0
    /// A sink that keeps nothing.
    public init() {}
    public var offset: Int { count }
    public func write(_ bytes: UnsafeRawBufferPointer) throws(IOError) { count += bytes.count }
}
