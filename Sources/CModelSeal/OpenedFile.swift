import ArticleCompat
import ContainerEngine
import ModelSealCore
import ModelSealKit
import Synchronization

/// A `file`: a sealed file whose header was parsed, or the article's Fernet token (recognised by
/// its content), unlocked once a key opens it.
///
/// Calls on one handle are serialized by its lock, so two threads sharing a handle cannot race.
final class OpenedFile: Sendable {
    enum Content {
        case sealed(SealedFile)
        /// Opened through `ModelOpener.prepare(fernet:)`: raw keys only, no trust keys or license.
        case fernet(FernetFile)
    }

    /// The file once a key opened it: every check that needs no chunk has passed (for a Fernet
    /// token, pass 1 authenticated all of it).
    enum Unlocked {
        case sealed(ModelOpener.Prepared)
        case fernet(ModelOpener.PreparedFernet)

        var plaintextLength: Int {
            switch self {
            case .sealed(let prepared): prepared.plaintextLength
            case .fernet(let prepared): prepared.plaintextLength
            }
        }

        /// The sealed file (its environment contract); `nil` for a Fernet token, which has none.
        var sealedFile: SealedFile? {
            if case .sealed(let prepared) = self { return prepared.file }
            return nil
        }

        func verify() throws {
            // A Fernet token was authenticated whole when it was unlocked (pass 1).
            if case .sealed(let prepared) = self { try prepared.verify() }
        }

        /// Into `buffer`; on failure the plaintext range is zeroed.
        func decrypt(into buffer: UnsafeMutableRawBufferPointer) throws {
            switch self {
            case .sealed(let prepared): try prepared.decrypt(into: buffer)
            case .fernet(let prepared): try prepared.decrypt(into: buffer)
            }
        }
    }

    struct State: @unchecked Sendable {
        let content: Content
        var unlocked: Unlocked?
        /// Set once random access has authenticated the last chunk (`modelseal_file_read_at`).
        var lastChunkChecked = false
    }

    let state: Mutex<State>

    init(_ source: ByteSource) throws {
        let content: Content =
            try FernetToken.looksLikeToken(source) ? .fernet(try FernetFile(source)) : .sealed(try SealedFile(source))
        state = Mutex(State(content: content, unlocked: nil))
    }

    /// A sealed file that already passed every check that needs no chunk (a sealed folder's member).
    init(prepared: ModelOpener.Prepared) {
        state = Mutex(State(content: .sealed(prepared.file), unlocked: .sealed(prepared)))
    }

    /// Runs `body` with the unlocked file, or refuses when no key has unlocked it yet.
    func withUnlocked<T>(_ body: (Unlocked) throws -> T) throws -> T {
        try state.withLock { state in
            guard let unlocked = state.unlocked else {
                throw StatusError(.usage, "the file is not unlocked: call fileUnlock first")
            }
            return try body(unlocked)
        }
    }
}

func openedFile(_ handle: OpaquePointer?) throws -> OpenedFile {
    try Handles.lookup(handle, as: OpenedFile.self, "file")
}

@_cdecl("modelseal_file_open")
public func fileOpen(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    boundary {
        let path = try Argument.string(path, "path")
        let out = try Argument.output(out, "out")
        out.pointee = Handles.register(try OpenedFile(try InputFile(path: path)))
    }
}

@_cdecl("modelseal_file_open_memory")
public func fileOpenMemory(
    _ data: UnsafePointer<UInt8>?, _ length: UInt, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    boundary {
        let bytes = try Argument.bytes(data, length, "data", limit: Int.max)
        let out = try Argument.output(out, "out")
        out.pointee = Handles.register(try OpenedFile(MemorySource(Array(bytes))))
    }
}

@_cdecl("modelseal_file_close")
public func fileClose(_ file: OpaquePointer?) {
    Handles.remove(file, as: OpenedFile.self)
}

@_cdecl("modelseal_file_unlock")
public func fileUnlock(_ file: OpaquePointer?, _ ring: OpaquePointer?) -> Int32 {
    boundary {
        let file = try openedFile(file)
        // The same checks as `modelseal open`: license and guards, header MAC, signatures, trust.
        let opener = try keyring(ring).opener()
        try file.state.withLock { state in
            switch state.content {
            case .sealed(let sealed): state.unlocked = .sealed(try opener.prepare(sealed))
            case .fernet(let token): state.unlocked = .fernet(try opener.prepare(fernet: token))
            }
        }
    }
}

@_cdecl("modelseal_file_plaintext_length")
public func filePlaintextLength(_ file: OpaquePointer?, _ out: UnsafeMutablePointer<UInt64>?) -> Int32 {
    boundary {
        let file = try openedFile(file)
        let out = try Argument.output(out, "out")
        let length = try file.withUnlocked { $0.plaintextLength }
        out.pointee = UInt64(length)
    }
}

@_cdecl("modelseal_file_verify")
public func fileVerify(_ file: OpaquePointer?) -> Int32 {
    boundary {
        try openedFile(file).withUnlocked { try $0.verify() }
    }
}

@_cdecl("modelseal_file_decrypt_into")
public func fileDecryptInto(_ file: OpaquePointer?, _ buffer: UnsafeMutablePointer<UInt8>?, _ capacity: UInt)
    -> Int32
{
    boundary {
        let file = try openedFile(file)
        let bytes = try Argument.bytes(buffer, capacity, "buffer", limit: Int.max)
        try file.withUnlocked { unlocked in
            guard bytes.count >= unlocked.plaintextLength else {
                throw StatusError(
                    .usage, "the buffer holds \(bytes.count) bytes; the plaintext needs \(unlocked.plaintextLength)")
            }
            try unlocked.decrypt(into: UnsafeMutableRawBufferPointer(mutating: bytes))
        }
    }
}

@_cdecl("modelseal_file_decrypt")
public func fileDecrypt(
    _ file: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?,
    _ outLength: UnsafeMutablePointer<UInt>?
) -> Int32 {
    boundary {
        let file = try openedFile(file)
        let out = try Argument.output(out, "out")
        let outLength = try Argument.output(outLength, "out_length")
        try file.withUnlocked { unlocked in
            let buffer = try LibraryBuffers.allocate(unlocked.plaintextLength)
            do {
                try unlocked.decrypt(into: buffer)
            } catch {
                LibraryBuffers.free(buffer.baseAddress)
                throw error
            }
            out.pointee = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self)
            outLength.pointee = UInt(buffer.count)
        }
    }
}

@_cdecl("modelseal_file_decrypt_to_memfd")
public func fileDecryptToMemfd(
    _ file: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ flags: UInt32, _ out: UnsafeMutablePointer<Int32>?
) -> Int32 {
    boundary {
        let file = try openedFile(file)
        let name = try Argument.string(name, "name")
        let out = try Argument.output(out, "out_fd")
        guard flags & ~memfdInheritable == 0 else { throw Argument.usage("unknown flags \(flags)") }
        #if canImport(Glibc)
            let descriptor = try file.withUnlocked { unlocked in
                try MemoryFile.create(
                    name: name, size: unlocked.plaintextLength, inheritable: flags & memfdInheritable != 0
                ) {
                    buffer in try unlocked.decrypt(into: buffer)
                }
            }
            out.pointee = descriptor
        #else
            throw StatusError(.outputError, "memfds exist on Linux only: use modelseal_file_decrypt_into")
        #endif
    }
}

/// `MODELSEAL_MEMFD_INHERITABLE`.
let memfdInheritable: UInt32 = 1
