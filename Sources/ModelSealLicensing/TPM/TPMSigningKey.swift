import ModelSealCore

/// A non-exportable ECDSA P-256 signing key in a TPM 2.0: the key server's request-signing key of a machine
/// whose machine key is in the TPM (`modelseal activate --tpm`, docs/SERVER.md §TPM). Like the machine key it is
/// a primary key of the storage (owner) hierarchy, made again on every use from the TPM's owner seed and `unique`
/// (32 random bytes the caller keeps), with fixedTPM and fixedParent set: the private key never leaves the TPM.
/// It is restricted: the TPM signs only digests it computed itself (`TPM2_Hash`), so it never signs a value that
/// poses as TPM-made evidence. It is a separate key from the machine key, never derived from it.
public struct TPMSigningKey: Sendable, Equatable {
    /// The template's unique field: which primary key of the owner hierarchy this is.
    public let unique: [UInt8]
    /// The public key, uncompressed (`04 || x || y`, 65 bytes).
    public let publicKey: [UInt8]

    public init(unique: [UInt8], publicKey: [UInt8]) {
        self.unique = unique
        self.publicKey = publicKey
    }

    /// Makes a new signing key in the TPM behind `connection`.
    public static func create(connection: TPMConnection) throws(TPMError) -> TPMSigningKey {
        let unique = randomBytes(32)
        let point = try connection.withSigningKey(unique: unique) { (_, point) throws(TPMError) in point }
        return TPMSigningKey(unique: unique, publicKey: point)
    }

    /// The ECDSA P-256 / SHA-256 signature `r || s` of `message`, made in the TPM behind `connection`; refused
    /// when that TPM no longer holds this key (another TPM, or it was cleared).
    public func sign(_ message: [UInt8], connection: TPMConnection) throws(TPMError) -> [UInt8] {
        try connection.withSigningKey(unique: unique) { (handle, point) throws(TPMError) in
            guard point == publicKey else {
                throw .unavailable(
                    "this TPM does not hold the request-signing key made at activation (another TPM, or it was "
                        + "cleared): activate again")
            }
            return try connection.sign(message, key: handle)
        }
    }
}
