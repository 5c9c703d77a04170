import Crypto
import ModelSealCore

/// The machine key's `TPM2B_PUBLIC` as a request carries it (TPM 2.0 Part 2 §12.2.4), read strictly: an ECC
/// P-256 key with SHA-256 names. Byte layout: size(2) · type(2) = 0x0023 · nameAlg(2) = 0x000B · attributes(4) ·
/// authPolicy(2 + n) · symmetric(2 [+ 4]) · scheme(2 [+ 2]) · curve(2) = 0x0003 · kdf(2 [+ 2]) · x(2 + ≤32) ·
/// y(2 + ≤32), nothing after.
public struct MachineKeyPublicArea: Sendable {
    /// `TPMA_OBJECT` bits the attestation requires: the key was made in the TPM (sensitiveDataOrigin) and can
    /// never leave it, not even under its parent (fixedTPM, fixedParent).
    enum Attribute {
        static let fixedTPM: UInt32 = 1 << 1
        static let fixedParent: UInt32 = 1 << 4
        static let sensitiveDataOrigin: UInt32 = 1 << 5
        static let required = fixedTPM | fixedParent | sensitiveDataOrigin
    }

    static let algorithmECC: UInt16 = 0x0023
    static let algorithmSHA256: UInt16 = 0x000B
    static let algorithmNull: UInt16 = 0x0010
    static let curveP256: UInt16 = 0x0003
    static let maximumPolicyLength = 64

    /// `TPMA_OBJECT`.
    public let attributes: UInt32
    /// The public point, `04 || x || y`.
    public let point: [UInt8]
    /// The key's name: nameAlg (SHA-256) || SHA-256(TPMT_PUBLIC), what `TPM2_MakeCredential` binds to.
    public let name: [UInt8]

    /// Parses a `TPM2B_PUBLIC` (the fuzz target `FuzzLicense` feeds it any bytes).
    public init(_ bytes: [UInt8]) throws(AttestationError) {
        let bad = AttestationError.notTPMResident("machine_key_public is not a P-256 TPM2B_PUBLIC with SHA-256 names")
        var reader = ByteReader(bytes)
        guard let size = reader.readBigEndian(UInt16.self), Int(size) == reader.remaining,
            reader.readBigEndian(UInt16.self) == Self.algorithmECC,
            reader.readBigEndian(UInt16.self) == Self.algorithmSHA256,
            let attributes = reader.readBigEndian(UInt32.self),
            let policy = Self.sized(&reader), policy.count <= Self.maximumPolicyLength,
            let symmetric = reader.readBigEndian(UInt16.self), symmetric == Self.algorithmNull || reader.skip(4),
            let scheme = reader.readBigEndian(UInt16.self), scheme == Self.algorithmNull || reader.skip(2),
            reader.readBigEndian(UInt16.self) == Self.curveP256,
            let kdf = reader.readBigEndian(UInt16.self), kdf == Self.algorithmNull || reader.skip(2),
            let x = Self.sized(&reader), x.count <= 32, let y = Self.sized(&reader), y.count <= 32, reader.isAtEnd
        else { throw bad }
        self.attributes = attributes
        point = [4] + Self.padded(x) + Self.padded(y)
        name = [0x00, 0x0B] + Array(SHA256.hash(data: bytes.dropFirst(2)))
    }

    static func sized(_ reader: inout ByteReader) -> [UInt8]? {
        guard let count = reader.readBigEndian(UInt16.self), let bytes = reader.readBytes(Int(count)) else {
            return nil
        }
        return Array(bytes)
    }

    static func padded(_ coordinate: [UInt8]) -> [UInt8] {
        [UInt8](repeating: 0, count: 32 - coordinate.count) + coordinate
    }
}
