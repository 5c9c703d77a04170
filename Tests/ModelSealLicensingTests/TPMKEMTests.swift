import ContainerEngine
import Crypto
import FoundationEssentials
import ModelSealCore
import Testing

@testable import ModelSealLicensing

/// The TPM layer against a real swtpm: `TPM2_ECDH_ZGen` under HPKE's DHKEM(P-256), proven with
/// RFC 9180 A.3.1 (the vector's private key loaded with `TPM2_LoadExternal`).
@Suite("TPM: DHKEM(P-256) through TPM2_ECDH_ZGen on swtpm")
struct TPMKEMTests {
    /// RFC 9180 A.3.1: DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode.
    enum RFC9180 {
        static let skRm = hex("f3ce7fdae57e1a310d87f1ebbde6f328be0a99cdbcadf4d6589cf29de4b8ffd2")
        static let pkRm = hex(
            "04fe8c19ce0905191ebc298a9245792531f26f0cece2460639e8bc39cb7f706a826a779b4cf969b8a0e539c7f62fb3d30ad6aa8f80"
                + "e30f1d128aafd68a2ce72ea0")
        static let enc = hex(
            "04a92719c6195d5085104f469a8b9814d5838ff72b60501e2c4466e5e67b325ac98536d7b61a1af4b78e5b7f951c0900be863c403c"
                + "e65c9bfcb9382657222d18c4")
        static let sharedSecret = hex("c0d26aeab536609a572b07695d933b589dcf363ff9d93c93adea537aeabb8cb8")
        static let info = hex("4f6465206f6e2061204772656369616e2055726e")
        static let aad = hex("436f756e742d30")
        static let ct = hex(
            "5ad590bb8baa577f8619db35a36311226a896e7342a6d836d8b7bcd2f20b6c7f9076ac232e3ab2523f39513434")
        static let pt = hex("4265617574792069732074727574682c20747275746820626561757479")
        static func hex(_ text: String) -> [UInt8] { Hex.decode(text) ?? [] }
    }

    @Test("RFC 9180 A.3.1: the vector key loaded into swtpm decapsulates to the vector's shared secret and opens")
    func rfc9180() throws {
        let tpm = try SoftwareTPM()
        let connection = try tpm.connect()
        try connection.withObject({ () throws(TPMError) in
            try connection.loadExternalP256(scalar: RFC9180.skRm, point: RFC9180.pkRm)
        }) { (handle) throws(TPMError) in
            let key = TPMP256KEMPrivateKey(
                publicKey: TPMP256KEMPublicKey(unchecked: RFC9180.pkRm),
                zGen: { try connection.ecdhZGen(key: handle, point: $0) })
            do {
                let shared = try key.decapsulate(Data(RFC9180.enc))
                #expect(shared.withUnsafeBytes { Array($0) } == RFC9180.sharedSecret)
                var recipient = try HPKE.Recipient(
                    privateKey: key,
                    ciphersuite: HPKE.Ciphersuite(kem: .P256_HKDF_SHA256, kdf: .HKDF_SHA256, aead: .AES_GCM_128),
                    info: Data(RFC9180.info), encapsulatedKey: Data(RFC9180.enc))
                #expect(Array(try recipient.open(Data(RFC9180.ct), authenticating: Data(RFC9180.aad))) == RFC9180.pt)
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    @Test("a machine key made in the TPM opens what a vendor sealed to its public key; another TPM cannot")
    func machineKeyRoundTrip() throws {
        let tpm = try SoftwareTPM()
        let connection = try tpm.connect()
        let unique = Array(SHA256.hash(data: Array("machine key test".utf8)))
        let suite = HPKE.Ciphersuite(kem: .P256_HKDF_SHA256, kdf: .HKDF_SHA256, aead: .AES_GCM_256)
        let publicKey = try connection.withMachineKey(unique: unique) { $0.publicKey }
        var sender = try HPKE.Sender(recipientKey: publicKey, ciphersuite: suite, info: Data("info".utf8))
        let sealed = try sender.seal(Array("secret A".utf8), authenticating: Array("id".utf8))
        // Fifty opens: every object is flushed (a bare swtpm holds only a few at once).
        for _ in 0..<50 {
            let opened = try connection.withMachineKey(unique: unique) { key in
                var recipient = try HPKE.Recipient(
                    privateKey: key, ciphersuite: suite, info: Data("info".utf8),
                    encapsulatedKey: sender.encapsulatedKey)
                return try recipient.open(sealed, authenticating: Array("id".utf8))
            }
            #expect(Array(opened) == Array("secret A".utf8))
        }
        // The same template in another TPM is another key: a copied machine key file does not open there.
        let other = try SoftwareTPM()
        let otherConnection = try other.connect()
        try otherConnection.withMachineKey(unique: unique) { key in
            #expect(key.publicKey.x963 != publicKey.x963)
            var recipient = try HPKE.Recipient(
                privateKey: key, ciphersuite: suite, info: Data("info".utf8), encapsulatedKey: sender.encapsulatedKey)
            #expect(throws: (any Error).self) { try recipient.open(sealed, authenticating: Array("id".utf8)) }
        }
    }

    /// A fake machine, a vendor with a model, a swtpm, and the machine's `license request --tpm`.
    static func tpmRequest() throws -> (
        FakeMachine, Vendor, (plain: [UInt8], sealed: [UInt8]), SoftwareTPM, LicenseRequest
    ) {
        let machine = try FakeMachine()
        let vendor = try Vendor()
        let tpm = try SoftwareTPM()
        let request = try LicenseRequest.create(
            vendorKeyID: vendor.keyID, tolerance: 1, label: "tpm", directory: machine.directory, probe: machine.probe,
            now: machine.now, tpm: try tpm.connect())
        return (machine, vendor, try vendor.model(), tpm, request)
    }

    @Test("a TPM-bound license (kem p256-tpm) opens on its machine, counts loads, and refuses another TPM")
    func tpmBoundLicense() throws {
        let (machine, vendor, model, tpm, request) = try Self.tpmRequest()
        #expect(request.kem == .p256TPM && request.machineKey.count == 65)
        #expect(try LicenseRequest(encoded: request.encoded) == request)
        var terms = LicenseTerms(customer: "ACME")
        terms.maxLoads = 2
        let license = try vendor.issue(request, models: [model.sealed], terms: terms)
        #expect(license.license.machine.kem == .p256TPM && license.license.keyWrapping.machineShare.count == 113)
        var validator = machine.validator
        validator.tpm = { try tpm.connect() }
        let file = try SealedFile(MemorySource(model.sealed))
        for _ in 0..<2 {
            let authorization = try validator.authorize(license, for: file, use: .memory)
            #expect(try file.unlock(with: [authorization.identity]).plaintext() == model.plain)
            try authorization.recordLoad()
        }
        #expect(validator.status(of: license).loadsUsed == 2 && validator.status(of: license).binding == "tpm")
        #expect(throws: LicenseError.self) { try validator.authorize(license, for: file, use: .memory) }
        // The same folder with another TPM: the machine key is not there, and nothing falls back to software.
        let other = try SoftwareTPM()
        validator.tpm = { try other.connect() }
        #expect {
            try validator.authorize(license, for: file, use: .verify)
        } throws: { error in
            guard case LicenseError.wrongMachine(let reason) = error else { return false }
            return reason.contains("no longer holds")
        }
        validator.tpm = { throw TPMError.unavailable("no TPM") }
        #expect {
            try validator.authorize(license, for: file, use: .verify)
        } throws: { error in
            if case LicenseError.tpm = error { return true }
            return false
        }
    }

    @Test("TPM-bound: a restored state is behind the NV counter; the TPM clock counts days a set-back clock hides")
    func tpmCounterAndClock() throws {
        let (machine, vendor, model, tpm, request) = try Self.tpmRequest()
        var terms = LicenseTerms(customer: "ACME")
        terms.expiresAt = machine.now + 86_400
        terms.maxLoads = 1
        let license = try vendor.issue(request, models: [model.sealed], terms: terms)
        let start = machine.now
        var validator = machine.validator
        validator.tpm = { try tpm.connect() }
        let file = try SealedFile(MemorySource(model.sealed))
        let licensing = machine.root + "/licensing"
        try run("cp -a '\(licensing)' '\(licensing).before'")
        try validator.authorize(license, for: file, use: .memory).recordLoad()
        #expect(throws: LicenseError.self) { try validator.authorize(license, for: file, use: .memory) }  // 1 of 1
        try run("cp -a '\(licensing)' '\(licensing).after'")
        // The attack: every licensing file restored from before the load. The NV counter moved on.
        try run("rm -rf '\(licensing)' && cp -a '\(licensing).before' '\(licensing)'")
        let ledger = machine.directory.vendorPath(vendor.keyID) + "/state/tpm-ledger.json"
        #expect(throws: LicenseError.stateRolledBack(path: ledger, found: 0, expected: 2)) {
            try validator.authorize(license, for: file, use: .memory)
        }
        try run("rm -rf '\(licensing)' && cp -a '\(licensing).after' '\(licensing)'")
        // Two days pass for the TPM (TPM2_ClockSet moves its clock forward only); the system clock says an hour.
        let connection = try tpm.connect()
        try connection.setClock(milliseconds: try connection.readClock(verified: false).milliseconds + 2 * 86_400_000)
        machine.now = start + 3600
        validator = machine.validator
        validator.tpm = { try tpm.connect() }
        #expect {
            try validator.authorize(license, for: file, use: .verify)
        } throws: { error in
            guard case LicenseError.clockRollback(_, let reference, let what) = error else { return false }
            return what.contains("TPM clock") && reference >= start + 2 * 86_400
        }
    }

    @Test("a TCTI that names no TPM is a clear error")
    func noTPM() throws {
        #expect {
            try TPMConnection(tcti: "swtpm:path=/nonexistent/modelseal.sock")
        } throws: { error in
            guard case TPMError.unavailable(let reason) = error else { return false }
            return reason.contains("MODELSEAL_TPM_TCTI")
        }
    }
}
