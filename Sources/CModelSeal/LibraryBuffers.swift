import ModelSealKit
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Buffers the library allocates for callers (`fileDecrypt`) and frees on request
/// (`bufferFree`); only pointers it handed out are accepted back.
enum LibraryBuffers {
    private static let live = Mutex<Set<UInt>>([])
    /// Alignment of returned buffers: enough for any tensor element type and for SIMD loads.
    static let alignment = 64

    static func allocate(_ count: Int) throws -> UnsafeMutableRawBufferPointer {
        var pointer: UnsafeMutableRawPointer? = nil
        guard posix_memalign(&pointer, alignment, max(count, 1)) == 0, let pointer else {
            throw StatusError(.outputError, "cannot allocate \(count) bytes for the plaintext")
        }
        live.withLock { _ = $0.insert(UInt(bitPattern: pointer)) }
        return UnsafeMutableRawBufferPointer(start: pointer, count: count)
    }

    /// Frees a buffer this library returned; returns false (and frees nothing) for any other pointer.
    @discardableResult
    static func free(_ pointer: UnsafeMutableRawPointer?) -> Bool {
        guard let pointer else { return false }
        let known = live.withLock { $0.remove(UInt(bitPattern: pointer)) != nil }
        if known { Glibc.free(pointer) }
        return known
    }
}

@_cdecl("modelseal_buffer_free")
public func bufferFree(_ buffer: UnsafeMutablePointer<UInt8>?) {
    LibraryBuffers.free(buffer.map { UnsafeMutableRawPointer($0) })
}

/// Copies `bytes` into a library buffer the caller frees with `modelseal_buffer_free`.
func handOut(
    _ bytes: [UInt8], _ out: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?,
    _ outLength: UnsafeMutablePointer<UInt>?
) throws {
    let out = try Argument.output(out, "out")
    let outLength = try Argument.output(outLength, "out_length")
    let buffer = try LibraryBuffers.allocate(bytes.count)
    bytes.withUnsafeBytes { source in buffer.copyMemory(from: source) }
    out.pointee = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self)
    outLength.pointee = UInt(bytes.count)
}
