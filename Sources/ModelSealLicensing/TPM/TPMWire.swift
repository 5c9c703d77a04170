/// TPM 2.0 wire encodings (TPM 2.0 Part 2, big-endian) of the few structures the machine key uses.
enum TPMWire {
    static let algorithmECC: UInt16 = 0x0023
    static let algorithmKeyedHash: UInt16 = 0x0008
    static let algorithmHMAC: UInt16 = 0x0005
    static let algorithmSHA256: UInt16 = 0x000B
    static let algorithmNull: UInt16 = 0x0010
    static let curveP256: UInt16 = 0x0003
    static let algorithmRSA: UInt16 = 0x0001
    static let algorithmAES: UInt16 = 0x0006
    static let modeCFB: UInt16 = 0x0043
    static let algorithmECDSA: UInt16 = 0x0018

    /// `TPMA_OBJECT` bits.
    enum Attribute {
        static let fixedTPM: UInt32 = 1 << 1
        static let fixedParent: UInt32 = 1 << 4
        static let sensitiveDataOrigin: UInt32 = 1 << 5
        static let userWithAuth: UInt32 = 1 << 6
        static let noDA: UInt32 = 1 << 10
        static let restricted: UInt32 = 1 << 16
        static let decrypt: UInt32 = 1 << 17
        static let sign: UInt32 = 1 << 18
    }

    static func u16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
    static func u32(_ value: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8((value >> UInt32($0)) & 0xFF) } }
    static func sized(_ bytes: [UInt8]) -> [UInt8] { u16(UInt16(bytes.count)) + bytes }

    /// `TPM2B_PUBLIC` of an unrestricted P-256 decryption key (what `TPM2_ECDH_ZGen` needs), scheme and
    /// symmetric NULL. `x` and `y` are the point (empty in a template: the TPM makes the key, using `x`
    /// as the template's unique entropy).
    static func eccDecryptionPublic(attributes: UInt32, x: [UInt8], y: [UInt8]) -> [UInt8] {
        let area =
            u16(algorithmECC) + u16(algorithmSHA256) + u32(attributes) + sized([])
            + u16(algorithmNull) + u16(algorithmNull) + u16(curveP256) + u16(algorithmNull) + sized(x) + sized(y)
        return sized(area)
    }

    /// `TPM2B_PUBLIC` template of a P-256 signing key with the ECDSA / SHA-256 scheme (a restricted signing key
    /// must name its scheme), symmetric and KDF NULL; `unique` is the template's unique entropy.
    static func eccSigningPublic(attributes: UInt32, unique: [UInt8]) -> [UInt8] {
        sized(
            u16(algorithmECC) + u16(algorithmSHA256) + u32(attributes) + sized([]) + u16(algorithmNull)
                + u16(algorithmECDSA) + u16(algorithmSHA256) + u16(curveP256) + u16(algorithmNull) + sized(unique)
                + sized([]))
    }

    /// `r || s` (32 bytes each) of a marshaled `TPMT_SIGNATURE` holding an ECDSA P-256 signature.
    static func ecdsaSignature(_ bytes: [UInt8]) throws(TPMError) -> [UInt8] {
        var reader = Reader(bytes: bytes)
        guard try reader.u16() == algorithmECDSA, try reader.u16() == algorithmSHA256 else {
            throw .malformed("the TPM answered a signature that is not ECDSA with SHA-256")
        }
        let r = try reader.sized()
        let s = try reader.sized()
        guard r.count <= 32, s.count <= 32, reader.offset == bytes.count else {
            throw .malformed("an ECDSA P-256 signature has two values of at most 32 bytes")
        }
        return pad(r) + pad(s)
    }

    /// `TPM2B_PUBLIC` template of a keyed-hash key for `TPM2_HMAC` with SHA-256 (`sign` set, the TPM makes
    /// the key: `unique` is the template's unique entropy).
    static func hmacKeyPublic(attributes: UInt32, unique: [UInt8]) -> [UInt8] {
        sized(
            u16(algorithmKeyedHash) + u16(algorithmSHA256) + u32(attributes) + sized([]) + u16(algorithmHMAC)
                + u16(algorithmSHA256) + sized(unique))
    }

    /// `TPM2B_PUBLIC` of the standard RSA 2048 EK (TCG EK Credential Profile 2.0, template L-1): restricted
    /// decryption key, AES-128-CFB, policy `PolicySecret(TPM_RH_ENDORSEMENT)`, unique 256 zero bytes. Made from
    /// the endorsement seed, it is the key of the TPM's EK certificate.
    static let rsaEKTemplate: [UInt8] = {
        // fixedTPM fixedParent sensitiveDataOrigin adminWithPolicy restricted decrypt
        let attributes: UInt32 = 0x0003_00B2
        let policy: [UInt8] = [
            0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xB3, 0xF8, 0x1A, 0x90, 0xCC, 0x8D, 0x46, 0xA5, 0xD7, 0x24,
            0xFD, 0x52, 0xD7, 0x6E, 0x06, 0x52, 0x0B, 0x64, 0xF2, 0xA1, 0xDA, 0x1B, 0x33, 0x14, 0x69, 0xAA,
        ]
        return sized(
            u16(algorithmRSA) + u16(algorithmSHA256) + u32(attributes) + sized(policy) + u16(algorithmAES) + u16(128)
                + u16(modeCFB) + u16(algorithmNull) + u16(2048) + u32(0) + sized([UInt8](repeating: 0, count: 256)))
    }()

    /// `TPM2B_SENSITIVE` holding a P-256 private scalar (for `TPM2_LoadExternal`).
    static func eccSensitive(_ scalar: [UInt8]) -> [UInt8] {
        sized(u16(algorithmECC) + sized([]) + sized([]) + sized(scalar))
    }

    /// `TPM2B_SENSITIVE_CREATE` with an empty authorization value and no data.
    static let emptySensitiveCreate: [UInt8] = sized(sized([]) + sized([]))

    /// `TPM2B_ECC_POINT` of an uncompressed SEC1 point `04 || x || y`.
    static func eccPoint(x963: [UInt8]) throws(TPMError) -> [UInt8] {
        guard x963.count == 65, x963.first == 4 else { throw .malformed("a P-256 point is 65 bytes, 04 || x || y") }
        return sized(sized(Array(x963[1..<33])) + sized(Array(x963[33..<65])))
    }

    /// Reads big-endian fields from a marshaled structure.
    struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func u16() throws(TPMError) -> UInt16 {
            guard offset + 2 <= bytes.count else { throw .malformed("truncated") }
            defer { offset += 2 }
            return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
        }

        mutating func sized() throws(TPMError) -> [UInt8] {
            let count = Int(try u16())
            guard offset + count <= bytes.count else { throw .malformed("truncated") }
            defer { offset += count }
            return Array(bytes[offset..<offset + count])
        }

        mutating func skip(_ count: Int) throws(TPMError) {
            guard offset + count <= bytes.count else { throw .malformed("truncated") }
            offset += count
        }
    }

    /// The point of a marshaled `TPM2B_ECC_POINT`, as `04 || x || y` (coordinates left-padded to 32 bytes).
    static func point(ofECCPoint bytes: [UInt8]) throws(TPMError) -> [UInt8] {
        var reader = Reader(bytes: bytes)
        _ = try reader.u16()
        return [4] + pad(try reader.sized()) + pad(try reader.sized())
    }

    /// The point of a marshaled `TPM2B_PUBLIC` of a P-256 key.
    static func point(ofPublic bytes: [UInt8]) throws(TPMError) -> [UInt8] {
        var reader = Reader(bytes: bytes)
        _ = try reader.u16()
        guard try reader.u16() == algorithmECC else { throw .malformed("not an ECC key") }
        try reader.skip(6)  // nameAlg, objectAttributes
        _ = try reader.sized()  // authPolicy
        if try reader.u16() != algorithmNull { try reader.skip(4) }  // symmetric: keyBits, mode
        if try reader.u16() != algorithmNull { try reader.skip(2) }  // scheme: hash
        guard try reader.u16() == curveP256 else { throw .malformed("not a P-256 key") }
        if try reader.u16() != algorithmNull { try reader.skip(2) }  // kdf: hash
        return [4] + pad(try reader.sized()) + pad(try reader.sized())
    }

    static func pad(_ coordinate: [UInt8]) -> [UInt8] {
        [UInt8](repeating: 0, count: max(0, 32 - coordinate.count)) + coordinate.suffix(32)
    }
}
