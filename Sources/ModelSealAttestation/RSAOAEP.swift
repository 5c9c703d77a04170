import Crypto

/// RSAES-OAEP encryption (RFC 8017 §7.1.1) with SHA-256 and MGF1-SHA-256 and a label, which swift-crypto does not
/// offer and `TPM2_MakeCredential` needs (label "IDENTITY\0", TPM 2.0 Part 1 Annex B.10.3). Public-key side only:
/// what it encrypts is a fresh random seed, so nothing here handles a long-lived secret.
struct RSAOAEPPublicKey: Sendable {
    /// Modulus, big-endian without leading zeros (odd, as every RSA modulus).
    let modulus: [UInt8]
    /// Public exponent, big-endian.
    let exponent: [UInt8]

    /// Modulus length in bytes (k).
    var byteCount: Int { modulus.count }

    /// `message` encrypted under this key with `label`; `seed` (32 bytes) is the OAEP seed, random unless a test
    /// gives one.
    func encrypt(_ message: [UInt8], label: [UInt8], seed: [UInt8] = randomSeed()) -> [UInt8] {
        let hashLength = SHA256.byteCount
        let k = byteCount
        precondition(message.count <= k - 2 * hashLength - 2 && seed.count == hashLength)
        let labelHash = Array(SHA256.hash(data: label))
        let padding = [UInt8](repeating: 0, count: k - message.count - 2 * hashLength - 2)
        let block = labelHash + padding + [0x01] + message
        let maskedBlock = zip(block, Self.mgf1(seed, length: k - hashLength - 1)).map { $0 ^ $1 }
        let maskedSeed = zip(seed, Self.mgf1(maskedBlock, length: hashLength)).map { $0 ^ $1 }
        let encoded = [0x00] + maskedSeed + maskedBlock
        return MontgomeryModulus(modulus).power(encoded, exponent: exponent)
    }

    /// MGF1 with SHA-256 (RFC 8017 §B.2.1).
    static func mgf1(_ seed: [UInt8], length: Int) -> [UInt8] {
        var output: [UInt8] = []
        var counter: UInt32 = 0
        while output.count < length {
            output += SHA256.hash(data: seed + KDFa.bigEndian(counter))
            counter += 1
        }
        return Array(output.prefix(length))
    }

    static func randomSeed() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<SHA256.byteCount).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }
}
