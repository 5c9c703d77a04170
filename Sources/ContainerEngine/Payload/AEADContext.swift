import CBoringAEAD
import ContainerFormat
import Crypto

/// One payload key's BoringSSL AEAD context (include/CBoringAEAD.h), sealing and opening in memory the
/// caller gives: no allocation and no copy per chunk.
///
/// BoringSSL documents seal and open as safe to call concurrently on one context, so one context serves
/// every worker thread of a file; it is freed with the last `ChunkCipher` that holds it.
final class AEADContext: @unchecked Sendable {
    private let context: OpaquePointer

    init(suite: CipherSuite, key: SymmetricKey) {
        let algorithm =
            switch suite {
            case .aes256GCM: CCryptoBoringSSL_EVP_aead_aes_256_gcm()
            case .chaCha20Poly1305: CCryptoBoringSSL_EVP_aead_chacha20_poly1305()
            }
        let made = key.withUnsafeBytes { key in
            CCryptoBoringSSL_EVP_AEAD_CTX_new(
                algorithm, key.bindMemory(to: UInt8.self).baseAddress, key.count, SealedFormat.tagLength)
        }
        // Fails only for a key of the wrong length or out of memory; payload keys are 32 bytes by construction.
        guard let made else { preconditionFailure("BoringSSL refused a \(key.bitCount)-bit \(suite) key") }
        context = made
    }

    deinit { CCryptoBoringSSL_EVP_AEAD_CTX_free(context) }

    /// Seals `input` into `output` (`input.count` + tag bytes): ciphertext, then the tag.
    func seal(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, nonce: [UInt8]) -> Bool {
        guard output.count == input.count + SealedFormat.tagLength else { return false }
        return call(input, output, nonce, CCryptoBoringSSL_EVP_AEAD_CTX_seal) == output.count
    }

    /// Authenticates `input` (ciphertext, then the tag) and decrypts it into `output` (`input.count` − tag
    /// bytes), which may start at `input`'s first byte (in place). On failure `output` holds zeros.
    func open(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, nonce: [UInt8]) -> Bool {
        guard input.count >= SealedFormat.tagLength, output.count == input.count - SealedFormat.tagLength else {
            return false
        }
        return call(input, output, nonce, CCryptoBoringSSL_EVP_AEAD_CTX_open) == output.count
    }

    private typealias Operation = (
        OpaquePointer?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<Int>?, Int, UnsafePointer<UInt8>?, Int,
        UnsafePointer<UInt8>?, Int, UnsafePointer<UInt8>?, Int
    ) -> Int32

    /// Runs `operation`; the bytes it wrote, or nil when it failed (BoringSSL's error queue cleared).
    private func call(
        _ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer, _ nonce: [UInt8],
        _ operation: Operation
    ) -> Int? {
        var written = 0
        let done = nonce.withUnsafeBufferPointer { nonce in
            operation(
                context, output.baseAddress?.assumingMemoryBound(to: UInt8.self), &written, output.count,
                nonce.baseAddress, nonce.count, input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count,
                nil, 0)
        }
        guard done == 1 else {
            CCryptoBoringSSL_ERR_clear_error()
            return nil
        }
        return written
    }
}
