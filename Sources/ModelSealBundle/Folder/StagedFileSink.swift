import ModelSealCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file created in a `StagingDirectory`, written through its descriptor (closed on deinit).
public final class StagedFileSink: ByteSink {
    let descriptor: Int32
    let name: String
    public private(set) var offset = 0

    /// Creates the file `name` in `staging`.
    public init(_ staging: StagingDirectory, name: String) throws(BundleError) {
        descriptor = try staging.createFile(name)
        self.name = name
    }

    deinit { close(descriptor) }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(IOError) {
        var done = 0
        while done < bytes.count {
            let count = Glibc.write(descriptor, bytes.baseAddress.map { $0 + done }, bytes.count - done)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw .current("write", path: name) }
            done += count
        }
        offset += done
    }

    /// Flushes the file to the disk before the folder is renamed into place.
    public func synchronize() throws(IOError) {
        guard fsync(descriptor) == 0 else { throw .current("fsync", path: name) }
    }
}
