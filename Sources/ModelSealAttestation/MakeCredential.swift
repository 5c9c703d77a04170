import Crypto
import ModelSealLicensing
import _CryptoExtras

/// `TPM2_MakeCredential` in software (TPM 2.0 Part 1 §24, Part 3 §12.6) for an RSA EK made from the standard
/// template (nameAlg SHA-256, AES-128-CFB): what only the TPM holding that EK and the object named `objectName`
/// opens (`TPM2_ActivateCredential`). `seed` and `oaepSeed` are random unless a test gives them (the vectors).
///
/// ```
/// seed            = 32 random bytes
/// encrypted_secret = TPM2B(RSA-OAEP-SHA-256(ek, label = "IDENTITY\0", seed))
/// sym_key         = KDFa(seed, "STORAGE", objectName, "", 128)
/// enc_identity    = AES-128-CFB(sym_key, iv = 0, TPM2B(credential))
/// hmac_key        = KDFa(seed, "INTEGRITY", "", "", 256)
/// id_object       = TPM2B(TPM2B(HMAC-SHA-256(hmac_key, enc_identity || objectName)) || enc_identity)
/// ```
enum MakeCredential {
    static let label = Array("IDENTITY".utf8) + [0]

    static func make(
        credential: [UInt8], objectName: [UInt8], endorsementKey: RSAOAEPPublicKey,
        seed: [UInt8] = RSAOAEPPublicKey.randomSeed(), oaepSeed: [UInt8] = RSAOAEPPublicKey.randomSeed()
    ) throws -> EKCredential {
        let encryptedSecret = sized(endorsementKey.encrypt(seed, label: label, seed: oaepSeed))
        let symmetricKey = KDFa.derive(key: seed, label: "STORAGE", contextU: objectName, contextV: [], bits: 128)
        let encryptedIdentity = Array(
            try AES._CFB.encrypt(
                sized(credential), using: SymmetricKey(data: symmetricKey),
                iv: try AES._CFB.IV(ivBytes: [UInt8](repeating: 0, count: 16))))
        let hmacKey = KDFa.derive(key: seed, label: "INTEGRITY", contextU: [], contextV: [], bits: 256)
        let integrity = Array(
            HMAC<SHA256>.authenticationCode(
                for: encryptedIdentity + objectName, using: SymmetricKey(data: hmacKey)))
        return EKCredential(
            idObject: sized(sized(integrity) + encryptedIdentity), encryptedSecret: encryptedSecret)
    }

    static func sized(_ bytes: [UInt8]) -> [UInt8] { [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes }
}
