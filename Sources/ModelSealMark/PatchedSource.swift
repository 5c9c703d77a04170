import ModelSealCore

/// Replacement bytes for one range of a file.
public struct BytePatch: Sendable {
    public var offset: Int
    public var bytes: [UInt8]

    public var range: Range<Int> { offset..<(offset + bytes.count) }
}

/// A source that reads as `base` with `patches` laid over it: how a marked copy is written to a file
/// or streamed into the sealer without a second copy of the model (only the patched bytes are held).
public final class PatchedSource: ByteSource, ByteStream, @unchecked Sendable {
    public let base: any ByteSource
    /// Non-overlapping patches, sorted by offset.
    public let patches: [BytePatch]
    // Only the stream side moves it.
    private var position = 0

    /// Refuses overlapping patches or patches outside `base`.
    public init(base: any ByteSource, patches: [BytePatch]) throws(MarkError) {
        let sorted = patches.sorted { $0.offset < $1.offset }
        var end = 0
        for patch in sorted {
            guard patch.offset >= end, patch.range.upperBound <= base.size else {
                throw .invalidRequest("internal: overlapping or out-of-file patch at offset \(patch.offset)")
            }
            end = patch.range.upperBound
        }
        self.base = base
        self.patches = sorted
    }

    public var size: Int { base.size }

    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(IOError) {
        let end = offset + buffer.count
        guard offset >= 0, end <= size else {
            throw .shortRead(path: base.name, offset: offset, needed: max(0, end - size))
        }
        // First patch that ends after `offset`.
        var low = 0
        var high = patches.count
        while low < high {
            let middle = (low + high) / 2
            if patches[middle].range.upperBound <= offset { low = middle + 1 } else { high = middle }
        }
        // Patched stretches are copied from memory; only the gaps between them are read from `base`.
        var cursor = offset
        var index = low
        while cursor < end {
            let next = index < patches.count ? patches[index] : nil
            guard let patch = next, patch.offset < end else {
                try base.read(
                    into: UnsafeMutableRawBufferPointer(rebasing: buffer[(cursor - offset)..<(end - offset)]),
                    at: cursor)
                return
            }
            if patch.offset > cursor {
                try base.read(
                    into: UnsafeMutableRawBufferPointer(rebasing: buffer[(cursor - offset)..<(patch.offset - offset)]),
                    at: cursor)
                cursor = patch.offset
            }
            let to = min(end, patch.range.upperBound)
            patch.bytes.withUnsafeBytes { bytes in
                UnsafeMutableRawBufferPointer(rebasing: buffer[(cursor - offset)..<(to - offset)]).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: bytes[(cursor - patch.offset)..<(to - patch.offset)]))
            }
            cursor = to
            index += 1
        }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(IOError) -> Int {
        let count = min(buffer.count, size - position)
        if count > 0 { try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count]), at: position) }
        position += count
        return count
    }

    /// Writes the whole patched file to `sink` in bounded pieces.
    public func write(to sink: any ByteSink, chunkSize: Int = 4 << 20) throws(IOError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        var offset = 0
        while offset < size {
            let count = min(chunkSize, size - offset)
            let slice = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
            try read(into: slice, at: offset)
            try sink.write(UnsafeRawBufferPointer(slice))
            offset += count
        }
    }
}
