import Crypto

/// KDFa with HMAC-SHA-256 (TPM 2.0 Part 1 §11.4.10.2), the counter-mode KDF of SP 800-108 that the TPM uses
/// for credential keys: `HMAC(key, [i]32 || label || 0x00 || contextU || contextV || [bits]32)`, i = 1, 2, …,
/// truncated to `bits`.
enum KDFa {
    static func derive(key: [UInt8], label: String, contextU: [UInt8], contextV: [UInt8], bits: Int) -> [UInt8] {
        let byteCount = (bits + 7) / 8
        var output: [UInt8] = []
        var counter: UInt32 = 1
        while output.count < byteCount {
            var message = bigEndian(counter) + Array(label.utf8) + [0] + contextU + contextV
            message += bigEndian(UInt32(bits))
            output += HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key))
            counter += 1
        }
        return Array(output.prefix(byteCount))
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [24, 16, 8, 0].map { UInt8((value >> UInt32($0)) & 0xFF) }
    }
}
