import ContainerEngine
import ModelSealSigning

extension ModelOpener.Prepared {
    /// Verified random access: plaintext bytes `offset ..< offset + buffer.count`, decrypting only the chunks
    /// that hold them. `prepare` already checked the signatures over the trailer's leaf list (its Merkle root);
    /// each chunk read is compared with its signed leaf before its bytes reach `buffer`. Call
    /// `checkLastChunk()` once before the first read (truncation). On failure `buffer` is zeroed.
    public func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
        try signedChunks { () throws(SealError) in
            try unlocked.read(at: offset, into: buffer, expected: trailer?.leafHashes)
        }
    }

    /// Verified random access to several ranges at once, each chunk opened once (`UnlockedFile.read(extents:)`):
    /// as `read(at:into:)`, for every extent. On failure every buffer is zeroed.
    public func read(extents: [PlaintextExtent]) throws {
        try signedChunks { () throws(SealError) in
            try unlocked.read(extents: extents, expected: trailer?.leafHashes)
        }
    }

    /// Authenticates the last chunk (against its signed leaf when signed): a file cut at a chunk boundary
    /// is refused before random access serves any of it.
    public func checkLastChunk() throws {
        try signedChunks { () throws(SealError) in try unlocked.checkLastChunk(expected: trailer?.leafHashes) }
    }

    private func signedChunks(_ body: () throws(SealError) -> Void) throws {
        do {
            try body()
        } catch SealError.chunkNotSigned(let index) {
            throw SigningError.invalidSignature(
                "chunk \(index) differs from what was signed: the file was altered after signing")
        }
    }
}
