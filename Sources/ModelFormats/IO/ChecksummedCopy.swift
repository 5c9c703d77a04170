import ModelSealCore

/// Streams file ranges into zip members while a second thread computes their CRC-32, so the
/// checksum costs (almost) no wall time. One `copyChunkSize` buffer, allocated once per writer.
final class ChecksummedCopier {
    private let chunk: Int
    private let buffer: UnsafeMutableRawBufferPointer

    init(chunk: Int = TorchCheckpoint.copyChunkSize) {
        self.chunk = chunk
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 64)
    }

    deinit { buffer.deallocate() }

    /// Copies `range` of `file` into the current member of `zip` and returns the data's CRC-32.
    func copy(from file: InputFile, range: Range<Int>, into zip: ZipWriter) throws -> UInt32 {
        if zip.canTransfer {
            // The kernel copies on one thread while the other reads the same (cached) bytes for the CRC.
            let results = try Parallel.map(2) { (task) throws -> UInt32? in
                guard task == 1 else {
                    try zip.transfer(from: file, range: range)
                    return nil
                }
                var crc = CRC32()
                var position = range.lowerBound
                while position < range.upperBound {
                    let count = min(chunk, range.upperBound - position)
                    let slice = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
                    try file.readFully(into: slice, at: position)
                    crc.update(UnsafeRawBufferPointer(slice))
                    position += count
                }
                return crc.value
            }
            return results[1] ?? 0
        }
        var crc = CRC32()
        var position = range.lowerBound
        while position < range.upperBound {
            let count = min(chunk, range.upperBound - position)
            let slice = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            try file.readFully(into: UnsafeMutableRawBufferPointer(mutating: slice), at: position)
            // Writing and checksumming the same chunk run side by side.
            let state = crc
            let updated = try Parallel.map(2) { (task) throws -> CRC32? in
                guard task == 1 else {
                    try zip.write(slice, updatingCRC: false)
                    return nil
                }
                var next = state
                next.update(slice)
                return next
            }
            crc = updated[1] ?? state
            position += count
        }
        return crc.value
    }
}
