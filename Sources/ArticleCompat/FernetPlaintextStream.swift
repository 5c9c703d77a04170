import Crypto
import FoundationEssentials
import ModelSealCore
import _CryptoExtras

/// Pass 2 of a verified Fernet token: its plaintext, decrypted chunk by chunk.
///
/// Each decoded chunk must hash to the digest pass 1 recorded before any of its plaintext is
/// released, so a file rewritten between the passes fails with `inputFailed` and never yields
/// bytes that were not authenticated. CBC runs over whole blocks with the IV carried forward;
/// the PKCS#7 padding (checked in pass 1) is cut off at the end.
public final class FernetPlaintextStream: ByteStream {
    private let verified: VerifiedFernetFile
    private let reader: FernetChunkReader
    private var nextChunk = 0
    private var iv: [UInt8]
    /// Ciphertext bytes of a block split across two chunks.
    private var carry: [UInt8] = []
    private var pending: [UInt8] = []
    private var pendingOffset = 0
    private var released = 0

    init(_ verified: VerifiedFernetFile) {
        self.verified = verified
        reader = FernetChunkReader(
            source: verified.file.source, layout: verified.file.layout, chunkLength: verified.file.textChunkLength)
        iv = verified.iv
    }

    deinit { reader.deallocate() }

    /// Plaintext bytes released so far.
    public var position: Int { released }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(IOError) -> Int {
        while pendingOffset == pending.count {
            guard released < verified.plaintextLength else { return 0 }
            do throws(FernetError) {
                try decryptNextChunk()
            } catch {
                if case .inputFailed(let reason) = error { throw .failed(path: "Fernet token", reason: reason) }
                throw .failed(path: "Fernet token", reason: error.description)
            }
        }
        let count = min(buffer.count, pending.count - pendingOffset)
        pending.withUnsafeBytes {
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[pendingOffset..<(pendingOffset + count)]))
        }
        pendingOffset += count
        released += count
        return count
    }

    private func decryptNextChunk() throws(FernetError) {
        let layout = verified.file.layout
        guard nextChunk < verified.digests.count else {
            throw .inputFailed("the Fernet token ended early in the second pass: it changed while it was read")
        }
        let decoded: UnsafeRawBufferPointer
        let start: Int
        do {
            (decoded, start) = try reader.decodeChunk(nextChunk)
        } catch {
            let cause: String
            if case .inputFailed(let reason) = error { cause = reason } else { cause = error.description }
            throw .inputFailed(
                "the Fernet token changed between verification and decryption (\(cause)); nothing more released")
        }
        guard SHA256.hash(data: decoded) == verified.digests[nextChunk] else {
            throw .inputFailed(
                "the Fernet token changed between verification and decryption (chunk \(nextChunk)); nothing more released"
            )
        }
        nextChunk += 1
        let end = start + decoded.count
        let from = max(start, FernetToken.headerLength)
        let to = min(end, layout.authenticatedLength)
        guard to > from else {
            pending = []
            pendingOffset = 0
            return
        }
        var ciphertext = carry
        ciphertext.append(contentsOf: decoded[(from - start)..<(to - start)])
        let whole = ciphertext.count / FernetToken.blockLength * FernetToken.blockLength
        carry = Array(ciphertext[whole...])
        ciphertext.removeLast(ciphertext.count - whole)
        guard whole > 0 else {
            pending = []
            pendingOffset = 0
            return
        }
        do {
            let plaintext = try AES._CBC.decrypt(
                ciphertext, using: verified.key.encryptionKey, iv: try AES._CBC.IV(ivBytes: iv), noPadding: true)
            iv = Array(ciphertext[(whole - FernetToken.blockLength)...])
            let keep = min(plaintext.count, verified.plaintextLength - released)
            pending = Array(plaintext.prefix(keep))
        } catch {
            throw .inputFailed("AES-CBC decryption failed: \(error)")
        }
        pendingOffset = 0
    }
}
