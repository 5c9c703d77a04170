import Crypto
import FoundationEssentials

/// How a license carries its key-encryption key to exactly one machine (spec/LICENSING.md §4).
///
/// Two independent secrets: A is HPKE-sealed to the machine's key (possession: the private key
/// never left the machine), B is locked k-of-n to the fingerprint components (tolerant binding).
/// The license key is wrapped under `HKDF(ikm = A || B, salt = license id, info = "modelseal/v1
/// license-key")`, so opening needs both the machine key and k matching components. An attested license
/// (`license issue --require-tpm`) adds a third secret C, the secret of its EK credential, that only the
/// attested TPM recovers (`TPM2_ActivateCredential`): `ikm = A || B || C`.
extension License.KeyWrapping {
    static let machineInfo = Data("modelseal/v1 license-machine".utf8)
    static let keyLabel = "modelseal/v1 license-key"
    static let zeroNonce = [UInt8](repeating: 0, count: 12)

    static func context(licenseID: [UInt8]) -> [UInt8] { Array("modelseal/v1 license".utf8) + licenseID }

    static func make(
        licenseKey: [UInt8], licenseID: [UInt8], kem: MachineKEM, machineKey: [UInt8],
        componentKeys: [Curve25519.KeyAgreement.PublicKey], match: Int, attested: AttestedCredential? = nil
    ) throws(LicenseError) -> License.KeyWrapping {
        var a = randomBytes(32)
        var b = randomBytes(32)
        defer {
            SecretMemory.wipe(&a)
            SecretMemory.wipe(&b)
        }
        do {
            var sender =
                kem == .x25519
                ? try HPKE.Sender(
                    recipientKey: try Curve25519.KeyAgreement.PublicKey(rawRepresentation: machineKey),
                    ciphersuite: kem.suite, info: machineInfo)
                : try HPKE.Sender(
                    recipientKey: try P256.KeyAgreement.PublicKey(x963Representation: machineKey),
                    ciphersuite: kem.suite, info: machineInfo)
            let sealedA = try sender.seal(a, authenticating: licenseID)
            let lock = try ComponentLock.seal(
                b, to: componentKeys, threshold: match, context: context(licenseID: licenseID))
            let box = try AES.GCM.seal(
                licenseKey, using: wrapKey(a: a, b: b, c: attested?.secret ?? [], licenseID: licenseID),
                nonce: AES.GCM.Nonce(data: zeroNonce),
                authenticating: Array(keyLabel.utf8) + licenseID)
            return License.KeyWrapping(
                machineShare: Array(sender.encapsulatedKey) + Array(sealedA), componentLock: lock,
                wrappedKey: Array(box.ciphertext) + Array(box.tag), credential: attested?.credential)
        } catch let error as LicenseError {
            throw error
        } catch {
            throw .malformed("license request", "cannot wrap to its machine key: \(error)")
        }
    }

    /// Secret A, or `nil` when `machineKey` is not the key this license was issued to.
    func openMachineShare(with machineKey: Curve25519.KeyAgreement.PrivateKey, licenseID: [UInt8]) -> [UInt8]? {
        guard
            var receiver = try? HPKE.Recipient(
                privateKey: machineKey, ciphersuite: ComponentLock.suite, info: Self.machineInfo,
                encapsulatedKey: Data(machineShare.prefix(32))),
            let a = try? receiver.open(Data(machineShare.dropFirst(32)), authenticating: licenseID)
        else { return nil }
        return Array(a)
    }

    /// Secret A through a TPM-held machine key (`kem` `p256-tpm`), or `nil` when it is not this license's.
    func openMachineShare(with machineKey: TPMP256KEMPrivateKey, licenseID: [UInt8]) -> [UInt8]? {
        guard
            var receiver = try? HPKE.Recipient(
                privateKey: machineKey, ciphersuite: MachineKEM.p256TPM.suite, info: Self.machineInfo,
                encapsulatedKey: Data(machineShare.prefix(65))),
            let a = try? receiver.open(Data(machineShare.dropFirst(65)), authenticating: licenseID)
        else { return nil }
        return Array(a)
    }

    /// The license key from A, B and (attested licenses) C, or `nil` when they are not this license's.
    func openKey(a: [UInt8], b: [UInt8], c: [UInt8] = [], licenseID: [UInt8]) -> [UInt8]? {
        guard
            let box = try? AES.GCM.SealedBox(
                nonce: AES.GCM.Nonce(data: Self.zeroNonce), ciphertext: wrappedKey.prefix(32),
                tag: wrappedKey.suffix(16)),
            let key = try? AES.GCM.open(
                box, using: Self.wrapKey(a: a, b: b, c: c, licenseID: licenseID),
                authenticating: Array(Self.keyLabel.utf8) + licenseID)
        else { return nil }
        return Array(key)
    }

    static func wrapKey(a: [UInt8], b: [UInt8], c: [UInt8] = [], licenseID: [UInt8]) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: a + b + c), salt: licenseID, info: Array(keyLabel.utf8),
            outputByteCount: 32)
    }
}
