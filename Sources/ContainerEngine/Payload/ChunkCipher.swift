import ContainerFormat
import Crypto
import FoundationEssentials

/// Seals and opens single payload chunks: the STREAM construction of spec/CONTAINER.md §5.
///
/// `nonce_i = uint88_be(i) || last_flag`; no additional data. Stateless and `Sendable`, so any
/// number of threads can process chunks of one file at once.
public struct ChunkCipher: Sendable {
    let suite: CipherSuite
    let key: SymmetricKey

    /// A cipher for one file's payload.
    public init(suite: CipherSuite, key: SymmetricKey) {
        self.suite = suite
        self.key = key
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

    /// Bytes an opener reserves in front of each sealed chunk for the nonce (see `open(slot:...)`).
    public static let slotPrefix = 12

    /// Seals one chunk; returns ciphertext followed by the 16-byte tag.
    public func seal(_ plaintext: UnsafeRawBufferPointer, index: Int, isLast: Bool) throws -> Data {
        let message: Data
        if let base = plaintext.baseAddress, plaintext.count > 0 {
            message = Data(
                bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: plaintext.count, deallocator: .none)
        } else {
            message = Data()
        }
        let nonce = Self.nonce(index: index, isLast: isLast)
        switch suite {
        case .aes256GCM:
            let box = try AES.GCM.seal(message, using: key, nonce: AES.GCM.Nonce(data: nonce))
            return box.combined?.dropFirst(12) ?? (box.ciphertext + box.tag)
        case .chaCha20Poly1305:
            let box = try ChaChaPoly.seal(message, using: key, nonce: ChaChaPoly.Nonce(data: nonce))
            return box.combined.dropFirst(12)
        }
    }

    /// Opens one chunk held in `slot`: `slotPrefix` scratch bytes, then ciphertext and tag.
    ///
    /// The nonce is written into the scratch bytes so swift-crypto can take the sealed box
    /// without copying it. Throws `chunkAuthenticationFailed` on any mismatch.
    public func open(slot: UnsafeMutableRawBufferPointer, index: Int, isLast: Bool) throws(SealError) -> Data {
        guard slot.count >= Self.slotPrefix + SealedFormat.tagLength, let base = slot.baseAddress else {
            throw .chunkAuthenticationFailed(index: index)
        }
        let nonce = Self.nonce(index: index, isLast: isLast)
        nonce.withUnsafeBytes { slot.copyMemory(from: $0) }
        let combined = Data(bytesNoCopy: base, count: slot.count, deallocator: .none)
        do {
            switch suite {
            case .aes256GCM:
                return try AES.GCM.open(AES.GCM.SealedBox(combined: combined), using: key)
            case .chaCha20Poly1305:
                return try ChaChaPoly.open(ChaChaPoly.SealedBox(combined: combined), using: key)
            }
        } catch {
            throw .chunkAuthenticationFailed(index: index)
        }
    }
}
