import ContainerEngine
import ModelSealKit

extension OpenedFile {
    /// Runs `body` with the unlocked sealed file for random access, the last chunk authenticated once per
    /// handle first (truncation). Refuses a locked handle and the article's Fernet files.
    func withVerifiedRandomAccess<T>(_ body: (ModelOpener.Prepared) throws -> T) throws -> T {
        try state.withLock { state in
            guard let unlocked = state.unlocked else {
                throw StatusError(.usage, "the file is not unlocked: call fileUnlock first")
            }
            guard case .sealed(let prepared) = unlocked else {
                throw StatusError(
                    .modelUnsupported,
                    "random access needs a sealed file: migrate the Fernet file with `modelseal migrate`")
            }
            if !state.lastChunkChecked {
                try prepared.checkLastChunk()
                state.lastChunkChecked = true
            }
            return try body(prepared)
        }
    }
}

/// `modelseal_file_read_at`: verified random access to an unlocked sealed file. The first call also
/// authenticates the last chunk (truncation); each call opens only the chunks holding the range, each
/// compared with its signed leaf hash when the file is signed. On failure the buffer is zeroed.
@_cdecl("modelseal_file_read_at")
public func fileReadAt(
    _ file: OpaquePointer?, _ offset: UInt64, _ buffer: UnsafeMutablePointer<UInt8>?, _ count: UInt
) -> Int32 {
    boundary {
        let file = try openedFile(file)
        let bytes = try Argument.bytes(buffer, count, "buffer", limit: Int.max)
        guard offset <= UInt64(Int.max) else { throw Argument.usage("offset \(offset) is out of range") }
        try file.withVerifiedRandomAccess { prepared in
            try prepared.read(at: Int(offset), into: UnsafeMutableRawBufferPointer(mutating: bytes))
        }
    }
}

/// `modelseal_file_read_extents`: verified random access to `count` ranges in one call, each chunk opened once
/// on all cores: plaintext bytes `offsets[i] ..< offsets[i] + lengths[i]` into `buffers[i]`. As
/// `modelseal_file_read_at` for each; extents may come in any order but must not overlap. Argument errors leave
/// the buffers untouched; once decryption has begun, a failure zeroes every buffer.
@_cdecl("modelseal_file_read_extents")
public func fileReadExtents(
    _ file: OpaquePointer?, _ offsets: UnsafePointer<UInt64>?, _ buffers: UnsafePointer<UnsafeMutablePointer<UInt8>?>?,
    _ lengths: UnsafePointer<UInt>?, _ count: UInt
) -> Int32 {
    boundary {
        let file = try openedFile(file)
        guard let count = Int(exactly: count), count <= maximumExtents else {
            throw Argument.usage("count \(count) is above \(maximumExtents) extents")
        }
        var extents: [PlaintextExtent] = []
        if count > 0 {
            guard let offsets, let buffers, let lengths else {
                throw Argument.usage("offsets, buffers and lengths must not be NULL when count is \(count)")
            }
            extents = try (0..<count).map { index in
                let bytes = try Argument.bytes(buffers[index], lengths[index], "buffers[\(index)]", limit: Int.max)
                guard let offset = Int(exactly: offsets[index]) else {
                    throw Argument.usage("offsets[\(index)] \(offsets[index]) is out of range")
                }
                return PlaintextExtent(offset: offset, buffer: UnsafeMutableRawBufferPointer(mutating: bytes))
            }
        }
        try file.withVerifiedRandomAccess { prepared in try prepared.read(extents: extents) }
    }
}

/// Most extents one `modelseal_file_read_extents` call takes: far above any model's tensor count.
let maximumExtents = 1 << 24
