import ModelSealCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Random access to the bytes of a model file, so that readers fetch only the parts they need
/// (directories, the pickle) and never load a multi-gigabyte checkpoint to inspect it.
public protocol ByteSource: Sendable {
    /// Total length in bytes.
    var size: Int { get }
    /// Reads exactly `count` bytes at `offset`; throws `.truncated` when the source is shorter.
    func read(at offset: Int, count: Int) throws -> [UInt8]
}

extension ByteSource {
    /// Reads `range`, checked against `size` first so a hostile length never allocates.
    public func read(_ range: Range<Int>, what: String) throws -> [UInt8] {
        guard range.lowerBound >= 0, range.upperBound <= size else {
            throw ModelFormatsError.truncated(
                what: what, offset: range.lowerBound, needed: max(0, range.upperBound - size))
        }
        return try read(at: range.lowerBound, count: range.count)
    }
}

/// Bytes already in memory (tests, fuzzing, members of small archives).
public struct MemoryByteSource: ByteSource {
    public let bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public var size: Int { bytes.count }
    public func read(at offset: Int, count: Int) throws -> [UInt8] {
        guard offset >= 0, count >= 0, offset <= bytes.count, count <= bytes.count - offset else {
            throw ModelFormatsError.truncated(what: "data", offset: offset, needed: count)
        }
        if offset == 0 && count == bytes.count { return bytes }  // shared, copied only on write
        return Array(bytes[offset..<(offset + count)])
    }
}

/// A read-only file accessed with `pread`; the descriptor is closed when the last copy goes.
public final class FileByteSource: ByteSource {
    public let path: String
    public let size: Int
    let descriptor: Int32

    /// Opens `path` for reading and records its size.
    public init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ModelFormatsError.io(path: path, operation: "open", errno: errno) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw ModelFormatsError.io(path: path, operation: "stat", errno: code)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw ModelFormatsError.io(path: path, operation: "open (not a regular file)", errno: EISDIR)
        }
        self.path = path
        self.size = Int(info.st_size)
        self.descriptor = fd
    }

    deinit { close(descriptor) }

    public func read(at offset: Int, count: Int) throws -> [UInt8] {
        guard offset >= 0, count >= 0, offset <= size, count <= size - offset else {
            throw ModelFormatsError.truncated(what: "data", offset: offset, needed: count)
        }
        if count == 0 { return [] }
        // Uninitialised: zero-filling first cost as much as the scan of a small checkpoint.
        return try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            try readFully(into: UnsafeMutableRawBufferPointer(buffer), at: offset)
            initialized = count
        }
    }

    /// Fills `buffer` from `offset`; used by streaming copies to avoid an allocation per chunk.
    public func readFully(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
        var done = 0
        while done < buffer.count {
            guard let base = buffer.baseAddress else { return }
            let got = pread(descriptor, base + done, buffer.count - done, off_t(offset + done))
            if got < 0 {
                if errno == EINTR { continue }
                throw ModelFormatsError.io(path: path, operation: "read", errno: errno)
            }
            if got == 0 {
                throw ModelFormatsError.truncated(what: "file", offset: offset + done, needed: buffer.count - done)
            }
            done += got
        }
    }
}

/// A file being written sequentially, with an optional running CRC-32 for zip members.
public final class FileByteSink {
    public let path: String
    private let descriptor: Int32
    /// Bytes written so far.
    public private(set) var offset: Int = 0

    /// Creates or truncates `path` (mode 0644).
    public init(path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ModelFormatsError.io(path: path, operation: "create", errno: errno) }
        self.path = path
        self.descriptor = fd
    }

    deinit { close(descriptor) }

    /// Appends raw bytes.
    public func write(_ buffer: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < buffer.count {
            guard let base = buffer.baseAddress else { return }
            let put = systemWrite(descriptor, base + done, buffer.count - done)
            if put < 0 {
                if errno == EINTR { continue }
                throw ModelFormatsError.io(path: path, operation: "write", errno: errno)
            }
            done += put
        }
        offset += buffer.count
    }

    /// Appends `range` of `source` with sendfile(2): the kernel copies, no user-space buffer.
    public func transfer(from source: FileByteSource, range: Range<Int>) throws {
        guard range.lowerBound >= 0, range.upperBound <= source.size else {
            throw ModelFormatsError.truncated(
                what: "file", offset: range.lowerBound, needed: max(0, range.upperBound - source.size))
        }
        var position = off_t(range.lowerBound)
        var left = range.count
        while left > 0 {
            let sent = sendfile(descriptor, source.descriptor, &position, min(left, 1 << 30))
            if sent < 0 {
                if errno == EINTR { continue }
                throw ModelFormatsError.io(path: path, operation: "sendfile", errno: errno)
            }
            if sent == 0 {
                throw ModelFormatsError.truncated(what: "file", offset: Int(position), needed: left)
            }
            left -= sent
        }
        offset += range.count
    }

    /// Flushes to disk and closes; call once at the end so a crash never leaves a half file named as done.
    public func synchronize() throws {
        guard fsync(descriptor) == 0 else { throw ModelFormatsError.io(path: path, operation: "fsync", errno: errno) }
    }
}

/// `write(2)`, named apart from `FileByteSink.write`.
private func systemWrite(_ descriptor: Int32, _ base: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, base, count)
}

/// A window of another source, addressed from 0 (a stored zip member read in place).
public struct SliceByteSource: ByteSource {
    public let base: any ByteSource
    public let range: Range<Int>

    /// `nil` when `range` is not inside `base`.
    public init?(_ base: any ByteSource, range: Range<Int>) {
        guard range.lowerBound >= 0, range.upperBound <= base.size else { return nil }
        self.base = base
        self.range = range
    }

    public var size: Int { range.count }

    public func read(at offset: Int, count: Int) throws -> [UInt8] {
        guard offset >= 0, count >= 0, offset <= size, count <= size - offset else {
            throw ModelFormatsError.truncated(what: "data", offset: offset, needed: count)
        }
        return try base.read(at: range.lowerBound + offset, count: count)
    }
}
