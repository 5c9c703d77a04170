import ContainerEngine
import Crypto
import ModelSealCore
import ModelSealSigning
import Testing
import _CryptoExtras

/// The article's `sign_file` signatures (RSA PKCS#1 v1.5, SHA-256 over the file) checked from a streamed digest.
/// (The Python suite checks signatures made by the article's own code with real `cryptography`.)
@Suite("Detached RSA PKCS#1 v1.5 signatures")
struct DetachedRSASignatureTests {
    static let message = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }

    let key: _RSA.Signing.PrivateKey
    var trusted: VerifyingKey { .rsa(key.publicKey) }

    init() throws { key = try _RSA.Signing.PrivateKey(keySize: .bits2048) }

    func sign(_ message: [UInt8]) throws -> [UInt8] {
        Array(try key.signature(for: SHA256.hash(data: message), padding: .insecurePKCS1v1_5).rawRepresentation)
    }

    @Test func streamedDigestVerifies() throws {
        let signature = try sign(Self.message)
        let digest = try DetachedRSASignature.digest(of: MemorySource(Self.message))
        let signer = try DetachedRSASignature.verify(signature, digest: digest, trustedKeys: [trusted])
        #expect(signer.keyID == trusted.keyID)
        // The message-taking check agrees with the digest-taking one.
        #expect(trusted.isValidSignature(signature, for: Self.message, algorithm: .rsaPKCS1v15SHA256))
        #expect(!trusted.isValidSignature(signature, forDigest: digest, algorithm: .rsaPSSSHA256))
    }

    @Test func otherFileIsRefused() throws {
        let signature = try sign(Self.message)
        var other = Self.message
        other[1000] ^= 1
        let digest = try DetachedRSASignature.digest(of: MemorySource(other))
        #expect(throws: SigningError.self) {
            _ = try DetachedRSASignature.verify(signature, digest: digest, trustedKeys: [trusted])
        }
    }

    @Test func rawAndBase64SignatureFilesDecode() throws {
        let signature = try sign(Self.message)
        #expect(try DetachedRSASignature.decode(signature, for: [trusted]) == signature)
        let text = Array((Self.base64(signature) + "\n").utf8)
        #expect(try DetachedRSASignature.decode(text, for: [trusted]) == signature)
        #expect(throws: SigningError.self) {
            _ = try DetachedRSASignature.decode(Array(signature.dropLast()), for: [trusted])
        }
    }

    @Test func nonRSAKeyIsUnsuitable() throws {
        let ec = VerifyingKey.p256(P256.Signing.PrivateKey().publicKey)
        do {
            _ = try DetachedRSASignature.rsaKeys([ec])
            Issue.record("an EC key was accepted for RSA PKCS#1 v1.5")
        } catch {
            guard case .unsuitableKey(let reason) = error else {
                Issue.record("expected unsuitableKey, got \(error)")
                return
            }
            #expect(reason.contains("ECDSA P-256"))
        }
    }

    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let remaining = min(3, bytes.count - index)
            var group = 0
            for offset in 0..<3 { group = group << 8 | (offset < remaining ? Int(bytes[index + offset]) : 0) }
            for position in 0..<4 {
                output.append(position <= remaining ? alphabet[(group >> (18 - 6 * position)) & 63] : UInt8(ascii: "="))
            }
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }
}
