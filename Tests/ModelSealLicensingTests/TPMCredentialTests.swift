import Crypto
import ModelSealCore
import Testing

@testable import ModelSealAttestation
@testable import ModelSealLicensing

/// The vendor's `TPM2_MakeCredential` in software (ModelSealAttestation) against `TPM2_ActivateCredential` in a
/// real swtpm: the round trip proves the RSA-OAEP label, the KDFa labels and lengths, the CFB and the HMAC layout,
/// which no other implementation here checks.
@Suite("TPM: MakeCredential in software, ActivateCredential on swtpm")
struct TPMCredentialTests {
    /// The RSA EK of the TPM behind `connection`, made from the standard template (and flushed).
    static func endorsementKey(_ connection: TPMConnection) throws -> RSAOAEPPublicKey {
        let (handle, area) = try connection.createPrimary(
            template: TPMWire.rsaEKTemplate, hierarchy: TPMConnection.Handle.endorsement)
        connection.flush(handle)
        // TPM2B_PUBLIC of an RSA key ends with unique: TPM2B_PUBLIC_KEY_RSA (2 + 256 bytes, the modulus).
        #expect(Array(area.suffix(258).prefix(2)) == [0x01, 0x00])
        return RSAOAEPPublicKey(modulus: Array(area.suffix(256)), exponent: [0x01, 0x00, 0x01])
    }

    @Test("a credential for this TPM's EK and the machine key's name activates; another name or EK does not")
    func roundTrip() throws {
        let tpm = try SoftwareTPM()
        let connection = try tpm.connect()
        let ek = try Self.endorsementKey(connection)
        let (handle, point, publicArea) = try connection.createMachineKey(unique: Array(repeating: 7, count: 32))
        defer { connection.flush(handle) }
        let area = try MachineKeyPublicArea(publicArea)
        #expect(area.point == point)
        #expect(area.attributes & MachineKeyPublicArea.Attribute.required == MachineKeyPublicArea.Attribute.required)
        let secret = Array(SHA256.hash(data: Array("credential secret".utf8)))
        let made = try MakeCredential.make(credential: secret, objectName: area.name, endorsementKey: ek)
        #expect(made.idObject.count == EKCredential.idObjectLength)
        #expect(made.encryptedSecret.count == EKCredential.encryptedSecretLength)
        let activated = try connection.activateCredential(
            machineKey: handle, idObject: made.idObject, encryptedSecret: made.encryptedSecret)
        #expect(activated == secret)

        // Bound to another object's name: the TPM's integrity check refuses it.
        let otherName = [0x00, 0x0B] + Array(SHA256.hash(data: publicArea))
        let misbound = try MakeCredential.make(credential: secret, objectName: otherName, endorsementKey: ek)
        #expect(throws: TPMError.self) {
            try connection.activateCredential(
                machineKey: handle, idObject: misbound.idObject, encryptedSecret: misbound.encryptedSecret)
        }
        // Encrypted to another TPM's EK: this TPM cannot decrypt the seed.
        let otherTPM = try SoftwareTPM()
        let foreign = try MakeCredential.make(
            credential: secret, objectName: area.name, endorsementKey: try Self.endorsementKey(try otherTPM.connect()))
        #expect(throws: TPMError.self) {
            try connection.activateCredential(
                machineKey: handle, idObject: foreign.idObject, encryptedSecret: foreign.encryptedSecret)
        }
    }

    @Test("the machine key's public area is read strictly: truncated, trailing bytes or another curve are refused")
    func publicAreaParsing() throws {
        let tpm = try SoftwareTPM()
        let connection = try tpm.connect()
        let (handle, _, publicArea) = try connection.createMachineKey(unique: Array(repeating: 9, count: 32))
        connection.flush(handle)
        _ = try MachineKeyPublicArea(publicArea)
        var curve = publicArea
        curve[curve.count - 71] = 0x04  // curveID P-256 (0x0003) → P-384 (0x0004)
        for broken in [Array(publicArea.dropLast()), publicArea + [0], curve, []] {
            #expect(throws: AttestationError.self) { try MachineKeyPublicArea(broken) }
        }
    }
}
