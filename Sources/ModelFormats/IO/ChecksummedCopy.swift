import Dispatch

/// Streams a file range into a zip member while a second thread computes its CRC-32, so the
/// checksum costs no wall time: two 4 MiB buffers, the CRC thread at most one chunk behind.
enum ChecksummedCopy {
    /// Shared between the copying thread and the CRC thread; each buffer is guarded by its semaphore.
    final class State: @unchecked Sendable {
        var crc = CRC32()
        let buffers: [UnsafeMutableRawBufferPointer]
        let free = [DispatchSemaphore(value: 1), DispatchSemaphore(value: 1)]

        init(chunk: Int) {
            buffers = [
                UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 64),
                UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 64),
            ]
        }

        deinit { buffers.forEach { $0.deallocate() } }
    }

    /// Copies `range` of `file` into the current member of `zip` and returns the data's CRC-32.
    static func copy(from file: FileByteSource, range: Range<Int>, into zip: ZipWriter) throws -> UInt32 {
        let chunk = TorchCheckpoint.copyChunkSize
        let state = State(chunk: chunk)
        let queue = DispatchQueue(label: "modelseal.crc32")
        var position = range.lowerBound
        var index = 0
        var failure: Error?
        while position < range.upperBound {
            let slot = index % 2
            state.free[slot].wait()
            let count = min(chunk, range.upperBound - position)
            let buffer = UnsafeMutableRawBufferPointer(rebasing: state.buffers[slot][0..<count])
            do {
                try file.readFully(into: buffer, at: position)
                try zip.write(UnsafeRawBufferPointer(buffer), updatingCRC: false)
            } catch {
                state.free[slot].signal()
                failure = error
                break
            }
            queue.async {
                state.crc.update(UnsafeRawBufferPointer(rebasing: state.buffers[slot][0..<count]))
                state.free[slot].signal()
            }
            position += count
            index += 1
        }
        return try queue.sync {
            if let failure { throw failure }
            return state.crc.value
        }
    }
}
