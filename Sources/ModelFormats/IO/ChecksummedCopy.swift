import Dispatch

/// Streams file ranges into zip members while a second thread computes their CRC-32, so the
/// checksum costs no wall time: two 4 MiB buffers (allocated once per writer), the CRC thread at
/// most one chunk behind.
final class ChecksummedCopier: @unchecked Sendable {
    private var crc = CRC32()
    private let chunk: Int
    private let buffers: [UnsafeMutableRawBufferPointer]
    private let free = [DispatchSemaphore(value: 1), DispatchSemaphore(value: 1)]
    private let queue = DispatchQueue(label: "modelseal.crc32")
    /// A read error on the CRC thread; read on the queue only.
    private var crcFailure: Error?

    init(chunk: Int = TorchCheckpoint.copyChunkSize) {
        self.chunk = chunk
        buffers = [
            UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 64),
            UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 64),
        ]
    }

    deinit {
        queue.sync {}
        buffers.forEach { $0.deallocate() }
    }

    /// Copies `range` of `file` into the current member of `zip` and returns the data's CRC-32.
    func copy(from file: FileByteSource, range: Range<Int>, into zip: ZipWriter) throws -> UInt32 {
        queue.sync { crc = CRC32() }
        if zip.canTransfer {
            queue.sync { crcFailure = nil }
            // The kernel copies on this thread while the CRC thread reads the same (cached) bytes.
            queue.async { [self] in
                var position = range.lowerBound
                while position < range.upperBound {
                    let count = min(chunk, range.upperBound - position)
                    let buffer = UnsafeMutableRawBufferPointer(rebasing: buffers[0][0..<count])
                    do {
                        try file.readFully(into: buffer, at: position)
                    } catch {
                        crcFailure = error
                        return
                    }
                    crc.update(UnsafeRawBufferPointer(buffer))
                    position += count
                }
            }
            let copied = Result { try zip.transfer(from: file, range: range) }
            return try queue.sync {
                try copied.get()
                if let crcFailure { throw crcFailure }
                return crc.value
            }
        }
        var position = range.lowerBound
        var index = 0
        var failure: Error?
        while position < range.upperBound {
            let slot = index % 2
            free[slot].wait()
            let count = min(chunk, range.upperBound - position)
            let buffer = UnsafeMutableRawBufferPointer(rebasing: buffers[slot][0..<count])
            do {
                try file.readFully(into: buffer, at: position)
                try zip.write(UnsafeRawBufferPointer(buffer), updatingCRC: false)
            } catch {
                free[slot].signal()
                failure = error
                break
            }
            queue.async { [self] in
                crc.update(UnsafeRawBufferPointer(rebasing: buffers[slot][0..<count]))
                free[slot].signal()
            }
            position += count
            index += 1
        }
        return try queue.sync {
            if let failure { throw failure }
            return crc.value
        }
    }
}
