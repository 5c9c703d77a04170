import ContainerFormat
import Crypto
import FoundationEssentials

/// Seals and opens single payload chunks: the STREAM construction of spec/CONTAINER.md §5.
///
/// `nonce_i = uint88_be(i) || last_flag`; no additional data. Stateless and `Sendable`, so any
/// number of threads can process chunks of one file at once. Works in the caller's memory: a chunk is
/// sealed into the output buffer and opened into its destination (or in place), with no allocation.
public struct ChunkCipher: Sendable {
    let suite: CipherSuite
    private let context: AEADContext

    /// A cipher for one file's payload.
    public init(suite: CipherSuite, key: SymmetricKey) {
        self.suite = suite
        self.context = AEADContext(suite: suite, key: key)
    }

    /// The 12-byte nonce of chunk `index`.
    public static func nonce(index: Int, isLast: Bool) -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: 12)
        var counter = UInt64(index)
        for position in stride(from: 10, through: 3, by: -1) {
            nonce[position] = UInt8(truncatingIfNeeded: counter)
            counter >>= 8
        }
        nonce[11] = isLast ? 1 : 0
        return nonce
    }

    /// Seals one chunk into `sealed`, which holds exactly `plaintext.count` + 16 bytes: ciphertext, then the tag.
    public func seal(
        _ plaintext: UnsafeRawBufferPointer, into sealed: UnsafeMutableRawBufferPointer, index: Int, isLast: Bool
    ) throws(SealError) {
        guard context.seal(plaintext, into: sealed, nonce: Self.nonce(index: index, isLast: isLast)) else {
            throw .outputFailed("encryption of chunk \(index) failed (output of \(sealed.count) bytes)")
        }
    }

    /// Seals one chunk; returns ciphertext followed by the 16-byte tag (for tests and small callers).
    public func seal(_ plaintext: UnsafeRawBufferPointer, index: Int, isLast: Bool) throws(SealError) -> [UInt8] {
        var sealed = [UInt8](repeating: 0, count: plaintext.count + SealedFormat.tagLength)
        let done = sealed.withUnsafeMutableBytes {
            context.seal(plaintext, into: $0, nonce: Self.nonce(index: index, isLast: isLast))
        }
        guard done else { throw .outputFailed("encryption of chunk \(index) failed") }
        return sealed
    }

    /// Authenticates one sealed chunk (ciphertext, then tag) and decrypts it into `plaintext`, which holds
    /// exactly `sealed.count` − 16 bytes and may start at `sealed`'s first byte (decryption in place).
    ///
    /// Throws `chunkAuthenticationFailed` on any mismatch; `plaintext` then holds zeros. While the call
    /// runs, `plaintext` holds bytes that are not yet authenticated: callers that share the destination
    /// with other readers open in place first (see `UnlockedFile.openChunks`).
    public func open(
        _ sealed: UnsafeRawBufferPointer, into plaintext: UnsafeMutableRawBufferPointer, index: Int, isLast: Bool
    ) throws(SealError) {
        guard context.open(sealed, into: plaintext, nonce: Self.nonce(index: index, isLast: isLast)) else {
            throw .chunkAuthenticationFailed(index: index)
        }
    }
}
