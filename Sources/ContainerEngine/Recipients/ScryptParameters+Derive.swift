import Crypto
import _CryptoExtras

extension ScryptParameters {
    /// scrypt with these (checked) parameters: the one derivation every ModelSeal scrypt goes through —
    /// passphrase stanzas, fingerprint stretching (spec/LICENSING.md §2), console passwords (docs/CONSOLE.md).
    public func derive(password: [UInt8], salt: [UInt8], outputByteCount: Int = 32) throws(SealError) -> [UInt8] {
        do {
            let key = try KDF.Scrypt.deriveKey(
                from: password, salt: salt, outputByteCount: outputByteCount, rounds: 1 << log2N, blockSize: r,
                parallelism: p)
            return key.withUnsafeBytes { Array($0) }
        } catch {
            throw .unsafeScryptParameters(log2N: log2N, r: r, p: p)
        }
    }
}
