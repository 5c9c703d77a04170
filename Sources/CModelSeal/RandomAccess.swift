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
