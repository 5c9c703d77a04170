import ModelSealCore
import Testing

@testable import ModelSealAttestation
@testable import ModelSealLicensing

/// The vectors of scripts/gen-license-vectors.py: an independent implementation of spec/LICENSING.md
/// made the machine key file, the request and the license for `FakeMachine`'s default components.
@Suite("License vectors (scripts/gen-license-vectors.py, Tests/Vectors/licensing)")
struct LicenseVectorTests {
    static func vector(_ version: Int) throws -> JSONValue { try vector(named: "v\(version)") }

    static func vector(named name: String) throws -> JSONValue {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(2)
        let path = parts.joined(separator: "/") + "/Vectors/licensing/\(name).json"
        return try JSONParser.parse(try SmallFile.read(path, limit: 1 << 20))
    }

    @Test(
        "versions 1 and 2: hashes, machine key, machine share, component shares and license key agree",
        arguments: [1, 2])
    func vector(version: Int) throws {
        let vector = try Self.vector(version)
        let text = { (name: String) in Array((vector[name]?.stringValue ?? "").utf8) }
        let signed = try SignedLicense(encoded: text("license"))
        let license = signed.license
        #expect(license.version == version)
        let request = try LicenseRequest(encoded: text("request"))
        #expect(request.version == version && request.encoded == text("request"))
        let identity = try MachineIdentity(
            json: try JSONValue.parseCanonical(Array(text("machine_key_file").dropLast()), what: "machine key file"))
        #expect(identity.version == version && identity.json.canonicalBytes + [0x0A] == text("machine_key_file"))
        #expect(try SignedLicense(encoded: text("license")).license.json == license.json)

        let machine = try FakeMachine()
        let fingerprint = machine.fingerprint(vendor: identity.vendorKeyID, version: license.fingerprintVersion)
        #expect(fingerprint.version.rawValue == version)
        for component in fingerprint.components {
            #expect(Hex.encode(fingerprint.hash(of: component)) == vector["hashes"]?[component.name]?.stringValue)
        }
        #expect(request.components.map(\.hash) == fingerprint.components.map { fingerprint.hash(of: $0) })

        let machineKey = try identity.unlock(with: fingerprint)
        let id = try #require(Hex.decode(license.id))
        let a = try #require(license.keyWrapping.openMachineShare(with: machineKey, licenseID: id))
        let (b, opened) = license.keyWrapping.componentLock.open(
            with: fingerprint.privateKeys(for: license.machine.components.map(\.name)),
            context: License.KeyWrapping.context(licenseID: id))
        #expect(opened.allSatisfy { $0 })
        let secretB = try #require(b)
        let licenseKey = try #require(license.keyWrapping.openKey(a: a, b: secretB, licenseID: id))
        #expect(Hex.encode(licenseKey) == vector["license_key"]?.stringValue)

        // The same files in the fake machine's licensing folder: the validator sees its machine.
        try machine.directory.save(identity)
        let status = machine.validator.status(of: signed)
        #expect(status.machineKeyMatches && status.matchingComponents == 5)
    }

    @Test("kem p256-tpm: the vector's machine key loaded into swtpm opens the machine share through TPM2_ECDH_ZGen")
    func p256TPM() throws {
        let vector = try Self.vector(named: "v2-p256-tpm")
        let text = { (name: String) in Array((vector[name]?.stringValue ?? "").utf8) }
        let license = try SignedLicense(encoded: text("license")).license
        let request = try LicenseRequest(encoded: text("request"))
        #expect(request.kem == .p256TPM && license.machine.kem == .p256TPM && request.encoded == text("request"))
        let identity = try TPMMachineIdentity(
            json: try JSONValue.parseCanonical(Array(text("machine_key_file").dropLast()), what: "machine key file"))
        #expect(identity.json.canonicalBytes + [0x0A] == text("machine_key_file"))
        #expect(identity.machineKey == request.machineKey && license.machine.machineKey == request.machineKey)

        let machine = try FakeMachine()
        let fingerprint = machine.fingerprint(vendor: identity.vendorKeyID, version: .v2)
        let id = try #require(Hex.decode(license.id))
        let (b, _) = license.keyWrapping.componentLock.open(
            with: fingerprint.privateKeys(for: license.machine.components.map(\.name)),
            context: License.KeyWrapping.context(licenseID: id))
        let secretB = try #require(b)
        let scalar = try #require(Hex.decode(vector["machine_private_key"]?.stringValue ?? ""))
        let tpm = try SoftwareTPM()
        defer { withExtendedLifetime(tpm) {} }  // releasing it stops the swtpm
        let connection = try tpm.connect()
        let a = try connection.withObject({ () throws(TPMError) in
            try connection.loadExternalP256(scalar: scalar, point: identity.machineKey)
        }) { (handle) throws(TPMError) in
            let key = TPMP256KEMPrivateKey(
                publicKey: TPMP256KEMPublicKey(unchecked: identity.machineKey),
                zGen: { try connection.ecdhZGen(key: handle, point: $0) })
            return license.keyWrapping.openMachineShare(with: key, licenseID: id)
        }
        let secretA = try #require(a)
        let licenseKey = try #require(license.keyWrapping.openKey(a: secretA, b: secretB, licenseID: id))
        #expect(Hex.encode(licenseKey) == vector["license_key"]?.stringValue)
    }

    @Test("EK-attested p256-tpm: evidence verifies, MakeCredential from the seeds is the license's, the key needs C")
    func attested() throws {
        let vector = try Self.vector(named: "v2-p256-tpm-attested")
        let text = { (name: String) in Array((vector[name]?.stringValue ?? "").utf8) }
        let bytes = { (name: String) in Hex.decode(vector[name]?.stringValue ?? "") ?? [] }
        let license = try SignedLicense(encoded: text("license")).license
        let request = try LicenseRequest(encoded: text("request"))
        #expect(request.encoded == text("request"))
        #expect(try SignedLicense(encoded: text("license")).encoded == text("license"))
        let evidence = try #require(request.attestation)
        let credential = try #require(license.keyWrapping.credential)

        let anchors = try EKTrustAnchors(pemFiles: [("ek_ca", vector["ek_ca"]?.stringValue ?? "")])
        let endorsementKey = try EKCertificateVerifier.verify(evidence.ekCertificate, anchors: anchors)
        let area = try MachineKeyPublicArea(evidence.machineKeyPublic)
        #expect(area.point == request.machineKey)
        let made = try MakeCredential.make(
            credential: bytes("credential_secret"), objectName: area.name, endorsementKey: endorsementKey,
            seed: bytes("credential_seed"), oaepSeed: bytes("credential_oaep_seed"))
        #expect(made == credential)
        #expect(try TPMAttestation.attest(request, anchors: anchors).credential.idObject.count == 70)

        // A (the machine share, opened in software with the vector's scalar), B (the components), C: the key.
        let machine = try FakeMachine()
        let fingerprint = machine.fingerprint(vendor: request.vendorKeyID, version: .v2)
        let id = try #require(Hex.decode(license.id))
        let (b, _) = license.keyWrapping.componentLock.open(
            with: fingerprint.privateKeys(for: license.machine.components.map(\.name)),
            context: License.KeyWrapping.context(licenseID: id))
        let secretB = try #require(b)
        let scalar = bytes("machine_private_key")
        let tpm = try SoftwareTPM()
        defer { withExtendedLifetime(tpm) {} }
        let connection = try tpm.connect()
        let a = try connection.withObject({ () throws(TPMError) in
            try connection.loadExternalP256(scalar: scalar, point: request.machineKey)
        }) { (handle) throws(TPMError) in
            let key = TPMP256KEMPrivateKey(
                publicKey: TPMP256KEMPublicKey(unchecked: request.machineKey),
                zGen: { try connection.ecdhZGen(key: handle, point: $0) })
            return license.keyWrapping.openMachineShare(with: key, licenseID: id)
        }
        let secretA = try #require(a)
        let licenseKey = license.keyWrapping.openKey(
            a: secretA, b: secretB, c: bytes("credential_secret"), licenseID: id)
        #expect(licenseKey.map(Hex.encode) == vector["license_key"]?.stringValue)
        #expect(license.keyWrapping.openKey(a: secretA, b: secretB, licenseID: id) == nil)  // without C: nothing
    }

    @Test("the version 2 hashes are not the version 1 hashes (components go through scrypt)")
    func versionsDiffer() throws {
        let one = try Self.vector(1)["hashes"]
        let two = try Self.vector(2)["hashes"]
        for name in ["cpu", "dmi", "machine-id", "network", "root-fs"] {
            #expect(one?[name]?.stringValue != nil && one?[name]?.stringValue != two?[name]?.stringValue)
        }
    }
}
