import ModelSealCore

/// What a TPM-bound request carries so that the vendor can attest its machine key (spec/LICENSING.md §5,
/// "Attestation"): the TPM's EK certificate and the machine key's public area, whose name the vendor binds a
/// credential to.
public struct TPMEvidence: Sendable, Equatable {
    /// The TPM's RSA 2048 EK certificate, DER, as read from NV index 0x01c00002.
    public let ekCertificate: [UInt8]
    /// The machine key's `TPM2B_PUBLIC` as `TPM2_CreatePrimary` answered it.
    public let machineKeyPublic: [UInt8]

    /// Caps on the two fields.
    public enum Limits {
        /// Longest EK certificate, in bytes.
        public static let maximumCertificateLength = 4096
        /// Longest public area, in bytes (a P-256 key's is 90).
        public static let maximumPublicLength = 512
    }

    /// Evidence from its two parts.
    public init(ekCertificate: [UInt8], machineKeyPublic: [UInt8]) {
        self.ekCertificate = ekCertificate
        self.machineKeyPublic = machineKeyPublic
    }

    var json: JSONValue {
        .object([
            "ek_certificate": .string(Codec.base64(ekCertificate)),
            "machine_key_public": .string(Codec.base64(machineKeyPublic)),
        ])
    }

    init(fields: inout JSONFields) throws(LicenseError) {
        ekCertificate = try fields.base64("ek_certificate")
        machineKeyPublic = try fields.base64("machine_key_public")
        guard (1...Limits.maximumCertificateLength).contains(ekCertificate.count),
            (1...Limits.maximumPublicLength).contains(machineKeyPublic.count)
        else {
            throw .malformed(
                "license request",
                "tpm_attestation: the EK certificate is 1...\(Limits.maximumCertificateLength) bytes, the public "
                    + "area 1...\(Limits.maximumPublicLength)")
        }
        try fields.finish()
    }
}

/// The output of `TPM2_MakeCredential` in a license (`key.ek_credential`): only the TPM whose EK it was made
/// for, holding the machine key it names, recovers its secret (`TPM2_ActivateCredential`).
public struct EKCredential: Sendable, Equatable {
    /// `TPM2B_ID_OBJECT`: the HMAC-protected, encrypted credential (70 bytes with SHA-256 and a 32-byte secret).
    public let idObject: [UInt8]
    /// `TPM2B_ENCRYPTED_SECRET`: the seed, RSA-OAEP-encrypted to the EK (258 bytes for RSA 2048).
    public let encryptedSecret: [UInt8]

    /// Exact field lengths (RSA 2048 EK, SHA-256 names, 32-byte secret).
    public static let idObjectLength = 70
    public static let encryptedSecretLength = 258

    /// A credential from its two parts.
    public init(idObject: [UInt8], encryptedSecret: [UInt8]) {
        self.idObject = idObject
        self.encryptedSecret = encryptedSecret
    }

    var json: JSONValue {
        .object([
            "id_object": .string(Codec.base64(idObject)),
            "encrypted_secret": .string(Codec.base64(encryptedSecret)),
        ])
    }

    init(fields: inout JSONFields) throws(LicenseError) {
        idObject = try fields.base64("id_object", length: Self.idObjectLength)
        encryptedSecret = try fields.base64("encrypted_secret", length: Self.encryptedSecretLength)
        try fields.finish()
    }
}

/// A credential the vendor made with its secret (`license issue --require-tpm`): the secret goes into the
/// license key's wrapping (spec/LICENSING.md §4), never into the license.
public struct AttestedCredential: Sendable {
    /// What the license carries.
    public let credential: EKCredential
    /// The 32-byte secret only the attested TPM recovers.
    public let secret: [UInt8]

    /// A credential and its secret.
    public init(credential: EKCredential, secret: [UInt8]) {
        self.credential = credential
        self.secret = secret
    }
}
