import Crypto
import ModelSealCore

/// A Fernet token in a file, read in two bounded-memory passes.
///
/// Pass 1 (`verify(with:)`) decodes the text chunk by chunk, feeds the HMAC and records a
/// SHA-256 digest of every decoded chunk; nothing is decrypted before the HMAC matched. Pass 2
/// (`VerifiedFernetFile.plaintext()`) reads the same chunks again, releases a chunk only if its
/// digest equals pass 1's, and decrypts it: a file changed between the passes stops the output at
/// the first changed chunk, before any of its bytes. Memory: a few chunk buffers (about 16 MiB)
/// plus 32 bytes per chunk (32 KiB per 4 GiB), whatever the token size.
public final class FernetFile {
    /// Text read per step by default: 4 MiB of characters, 3 MiB decoded.
    public static let defaultChunkLength = 4 << 20

    /// Text read per step (a multiple of 4).
    let textChunkLength: Int

    let source: ByteSource
    let layout: FernetLayout
    /// Seconds since 1970 when the token was made (unauthenticated until `verify`).
    public let timestamp: UInt64

    /// Characters of base64url text.
    public var textLength: Int { layout.textLength }
    /// Bytes of AES-CBC ciphertext (plaintext plus 1–16 bytes of padding).
    public var ciphertextLength: Int { layout.ciphertextLength }

    /// Checks the token's length and header (version byte) without any key.
    ///
    /// `chunkLength` (characters read per step, a positive multiple of 4) only trades memory for
    /// system calls; tests make it small to cross every boundary.
    public init(_ source: ByteSource, chunkLength: Int = defaultChunkLength) throws(FernetError) {
        precondition(chunkLength > 0 && chunkLength % 4 == 0, "chunk length must be a positive multiple of 4")
        self.source = source
        textChunkLength = chunkLength
        layout = try FernetLayout(source)
        // 36 characters decode to 27 bytes, more than the 25-byte header; a token has at least 100.
        let text = try FernetLayout.read(source, at: 0, count: 36)
        let header = try FernetError.decodingBase64(text, offset: 0)
        guard header[0] == FernetToken.version else { throw .unsupportedVersion(header[0]) }
        timestamp = header[1..<9].reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Chunks of text read per pass.
    var chunkCount: Int { (layout.textLength + textChunkLength - 1) / textChunkLength }

    /// Pass 1: authenticates the whole token with each key in turn (one read for all keys).
    ///
    /// Only after the HMAC matched is the last ciphertext block decrypted, to check the padding
    /// and learn the plaintext length.
    public func verify(with keys: [FernetKey]) throws(FernetError) -> VerifiedFernetFile {
        guard !keys.isEmpty else { throw .invalidKey("no key given") }
        var macs = keys.map { HMAC<SHA256>(key: $0.signingKey) }
        var digests: [SHA256Digest] = []
        digests.reserveCapacity(chunkCount)
        // The last 64 decoded bytes: the block before the last ciphertext block (or the IV), the last block, the tag.
        let tailStart = layout.decodedLength - 64
        var tail = [UInt8](repeating: 0, count: 64)
        // Version, timestamp and IV as authenticated (not as read before: the file may have changed since).
        var head = [UInt8](repeating: 0, count: FernetToken.headerLength)
        let reader = FernetChunkReader(source: source, layout: layout, chunkLength: textChunkLength)
        defer { reader.deallocate() }
        for index in 0..<chunkCount {
            let (decoded, start) = try reader.decodeChunk(index)
            digests.append(SHA256.hash(data: decoded))
            let end = start + decoded.count
            let macEnd = min(end, layout.authenticatedLength)
            if macEnd > start {
                let part = UnsafeRawBufferPointer(rebasing: decoded[0..<(macEnd - start)])
                for key in macs.indices { macs[key].update(data: part) }
            }
            if start < FernetToken.headerLength {
                for position in start..<min(end, FernetToken.headerLength) {
                    head[position] = decoded[position - start]
                }
            }
            if end > tailStart {
                let from = max(start, tailStart)
                for position in from..<end { tail[position - tailStart] = decoded[position - start] }
            }
        }
        let tag = Array(tail[32..<64])
        guard let match = macs.firstIndex(where: { ConstantTime.equal(Array($0.finalize()), tag) }) else {
            throw .hmacMismatch(keysTried: keys.count)
        }
        let key = keys[match]
        // Checked in `init` already; again on the authenticated bytes, in case the file changed since.
        guard head[0] == FernetToken.version else { throw .unsupportedVersion(head[0]) }
        // Authenticated: now decrypting the last block (with the one before as IV) is safe.
        let last: [UInt8]
        do {
            let iv = try AES._CBC.IV(ivBytes: tail[0..<16])
            last = Array(try AES._CBC.decrypt(tail[16..<32], using: key.encryptionKey, iv: iv, noPadding: true))
        } catch {
            throw .invalidPadding
        }
        let padding = Int(last[15])
        guard (1...16).contains(padding), last[(16 - padding)...].allSatisfy({ Int($0) == padding }) else {
            throw .invalidPadding
        }
        return VerifiedFernetFile(
            file: self, key: key, keyIndex: match, digests: digests,
            iv: Array(head[FernetToken.ivOffset..<FernetToken.headerLength]),
            timestamp: head[1..<FernetToken.ivOffset].reduce(0) { $0 << 8 | UInt64($1) },
            plaintextLength: layout.ciphertextLength - padding)
    }
}

/// A Fernet token whose HMAC matched: the key that opened it and what pass 2 needs.
public struct VerifiedFernetFile {
    let file: FernetFile
    let key: FernetKey
    /// Which of the keys given to `verify(with:)` authenticated the token.
    public let keyIndex: Int
    let digests: [SHA256Digest]
    /// The IV as pass 1 authenticated it.
    let iv: [UInt8]
    /// Seconds since 1970 when the token was made (authenticated).
    public let timestamp: UInt64
    /// Bytes of plaintext (the `torch.save` bytes the article encrypted).
    public let plaintextLength: Int

    /// Pass 2: the plaintext as a stream; each chunk is checked against pass 1 before it is released.
    public func plaintext() -> FernetPlaintextStream {
        FernetPlaintextStream(self)
    }

    /// Pass 2 into `sink`; returns the bytes written.
    public func decrypt(to sink: ByteSink) throws(FernetError) -> Int {
        let stream = plaintext()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var total = 0
        while true {
            let count: Int
            do throws(IOError) {
                count = try stream.read(into: buffer)
            } catch {
                if case .failed(_, let reason) = error { throw .inputFailed(reason) }
                throw .inputFailed(error.description)
            }
            if count == 0 { return total }
            do throws(IOError) {
                try sink.write(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            } catch {
                throw .outputFailed(error.description)
            }
            total += count
        }
    }
}

/// Reads and decodes the text of a token one chunk at a time into reused buffers.
final class FernetChunkReader {
    let source: ByteSource
    let layout: FernetLayout
    let chunkLength: Int
    private let text: UnsafeMutableRawBufferPointer
    private let decoded: UnsafeMutableRawBufferPointer

    init(source: ByteSource, layout: FernetLayout, chunkLength: Int) {
        self.source = source
        self.layout = layout
        self.chunkLength = chunkLength
        text = .allocate(byteCount: chunkLength, alignment: 16)
        decoded = .allocate(byteCount: Base64.decodedCapacity(textCount: chunkLength), alignment: 16)
    }

    func deallocate() {
        text.deallocate()
        decoded.deallocate()
    }

    /// The decoded bytes of chunk `index` (valid until the next call) and their offset in the token.
    func decodeChunk(_ index: Int) throws(FernetError) -> (bytes: UnsafeRawBufferPointer, offset: Int) {
        let start = index * chunkLength
        let count = min(chunkLength, layout.textLength - start)
        let slice = UnsafeMutableRawBufferPointer(rebasing: text[0..<count])
        do {
            try source.read(into: slice, at: start)
        } catch {
            throw .inputFailed(error.description)
        }
        let isFinal = start + count == layout.textLength
        let written: Int
        do throws(Base64.DecodingError) {
            written = try Base64.decodeGroups(
                UnsafeRawBufferPointer(slice), into: decoded, isFinal: isFinal, alphabet: .urlSafe)
        } catch {
            throw .malformedText(offset: start + error.offset, reason: error.reason)
        }
        return (UnsafeRawBufferPointer(rebasing: decoded[0..<written]), start / 4 * 3)
    }
}
