import ContainerEngine
import ContainerFormat
import ModelSealCore
import ModelSealSigning
import Testing

@testable import ModelSealLicensing

@Suite("Offline licenses on fake machines")
struct LicenseFlowTests {
    @Test("request → issue → open on the same machine, with no other key")
    func sameMachine() throws {
        let machine = try FakeMachine()
        let vendor = try Vendor()
        let model = try vendor.model()
        let license = try vendor.issue(try machine.request(vendor: vendor), models: [model.sealed])
        #expect(try licensedOpen(model.sealed, license: license, on: machine) == model.plain)
        // The license file round-trips through its encoding.
        let reread = try SignedLicense(encoded: license.encoded)
        #expect(reread.license == license.license)
        #expect(try licensedOpen(model.sealed, license: reread, on: machine) == model.plain)
    }

    @Test("one changed component still opens (4 of 5); the default match is the request's threshold")
    func oneComponentChanged() throws {
        let machine = try FakeMachine()
        let vendor = try Vendor()
        let model = try vendor.model()
        let license = try vendor.issue(try machine.request(vendor: vendor), models: [model.sealed])
        #expect(license.license.machine.match == 4)
        var identity = FakeMachine.Identity()
        identity.mac = "52:54:00:99:99:99"  // NIC replaced
        try machine.set(identity)
        #expect(try licensedOpen(model.sealed, license: license, on: machine) == model.plain)
    }

    @Test("two changed components: too few match, and the error names them")
    func twoComponentsChanged() throws {
        let machine = try FakeMachine()
        let vendor = try Vendor()
        let model = try vendor.model()
        let license = try vendor.issue(try machine.request(vendor: vendor), models: [model.sealed])
        var identity = FakeMachine.Identity()
        identity.mac = "52:54:00:99:99:99"
        identity.rootUUID = "99999999-0000-4000-8000-000000000000"
        try machine.set(identity)
        #expect(throws: LicenseError.tooFewComponents(required: 4, matching: 3, differing: ["network", "root-fs"])) {
            try licensedOpen(model.sealed, license: license, on: machine)
        }
    }

    @Test("a lower --match tolerates more change only as far as the machine key file does")
    func matchBelowThreshold() throws {
        let machine = try FakeMachine()
        let vendor = try Vendor()
        let model = try vendor.model()
        var terms = LicenseTerms(customer: "ACME")
        terms.match = 3
        let request = try machine.request(vendor: vendor, tolerance: 2)
        #expect(request.threshold == 3)
        let license = try vendor.issue(request, models: [model.sealed], terms: terms)
        var identity = FakeMachine.Identity()
        identity.mac = "52:54:00:99:99:99"
        identity.rootUUID = "99999999-0000-4000-8000-000000000000"
        try machine.set(identity)
        #expect(try licensedOpen(model.sealed, license: license, on: machine) == model.plain)
    }

    @Test("all components changed: wrong machine")
    func allChanged() throws {
        let machine = try FakeMachine()
        let vendor = try Vendor()
        let model = try vendor.model()
        let license = try vendor.issue(try machine.request(vendor: vendor), models: [model.sealed])
        try machine.set(
            FakeMachine.Identity(
                machineID: "ffffffffffffffffffffffffffffffff", cpu: "AMD EPYC 7763", mac: "02:00:00:00:00:01",
                rootUUID: "00000000-0000-4000-8000-000000000001", product: "ProLiant DL385"))
        #expect(
            throws: LicenseError.tooFewComponents(
                required: 4, matching: 0, differing: ["cpu", "dmi", "machine-id", "network", "root-fs"])
        ) { try licensedOpen(model.sealed, license: license, on: machine) }
    }

    @Test("license and request copied to another machine: no machine key there")
    func copiedLicense() throws {
        let machine = try FakeMachine()
        let other = try FakeMachine(
            FakeMachine.Identity(
                machineID: "ffffffffffffffffffffffffffffffff", mac: "02:00:00:00:00:01",
                rootUUID: "00000000-0000-4000-8000-000000000001"))
        let vendor = try Vendor()
        let model = try vendor.model()
        let request = try machine.request(vendor: vendor)
        let license = try vendor.issue(request, models: [model.sealed])
        #expect {
            try licensedOpen(model.sealed, license: license, on: other)
        } throws: { error in
            if case LicenseError.noMachineKey = error { return true }
            return false
        }
        // Copying the machine key file too does not help: it opens only with the first machine's components.
        try machine.copyLicensingFolder(to: other)
        #expect(
            throws: LicenseError.tooFewComponents(
                required: 4, matching: 2, differing: ["machine-id", "network", "root-fs"])
        ) {
            try licensedOpen(model.sealed, license: license, on: other)
        }
    }

    @Test("a new request on the machine makes older licenses refuse as issued to another machine key")
    func reRequested() throws {
        let machine = try FakeMachine()
        let vendor = try Vendor()
        let model = try vendor.model()
        let old = try vendor.issue(try machine.request(vendor: vendor), models: [model.sealed])
        let fresh = try vendor.issue(try machine.request(vendor: vendor), models: [model.sealed])
        #expect {
            try licensedOpen(model.sealed, license: old, on: machine)
        } throws: { error in
            if case LicenseError.wrongMachine = error { return true }
            return false
        }
        #expect(try licensedOpen(model.sealed, license: fresh, on: machine) == model.plain)
    }

    @Test("expired, and not yet valid")
    func validity() throws {
        let machine = try FakeMachine()
        let vendor = try Vendor()
        let model = try vendor.model()
        var terms = LicenseTerms(customer: "ACME")
        terms.notBefore = machine.now + 86_400
        terms.expiresAt = machine.now + 10 * 86_400
        let license = try vendor.issue(try machine.request(vendor: vendor), models: [model.sealed], terms: terms)
        #expect(throws: LicenseError.notYetValid(notBefore: machine.now + 86_400, now: machine.now)) {
            try licensedOpen(model.sealed, license: license, on: machine)
        }
        machine.now += 2 * 86_400
        #expect(try licensedOpen(model.sealed, license: license, on: machine) == model.plain)
        machine.now += 8 * 86_400
        #expect(throws: LicenseError.expired(expiresAt: machine.now, now: machine.now)) {
            try licensedOpen(model.sealed, license: license, on: machine)
        }
    }

    @Test("wrong model: a file the license does not list")
    func wrongModel() throws {
        let machine = try FakeMachine()
        let vendor = try Vendor()
        let listed = try vendor.model(seed: 1)
        let other = try vendor.model(seed: 2)
        let license = try vendor.issue(try machine.request(vendor: vendor), models: [listed.sealed])
        #expect {
            try licensedOpen(other.sealed, license: license, on: machine)
        } throws: { error in
            guard case LicenseError.wrongModel(let fileID, _) = error else { return false }
            return fileID == (try? SealedFile(MemorySource(other.sealed)).fileID)
        }
    }

    @Test("later versions sealed to the license key open without a new license; another license key's do not")
    func lineage() throws {
        let machine = try FakeMachine()
        let vendor = try Vendor()
        let licenseKey = LicenseKey.generate()
        let first = try vendor.model(seed: 1)
        let license = try vendor.issue(
            try machine.request(vendor: vendor), models: [first.sealed], licenseKey: licenseKey)
        let later = try vendor.model(seed: 3, extra: [licenseKey])
        #expect(try licensedOpen(later.sealed, license: license, on: machine) == later.plain)
        let foreign = try vendor.model(seed: 4, extra: [LicenseKey.generate()])
        #expect {
            try licensedOpen(foreign.sealed, license: license, on: machine)
        } throws: { error in
            if case LicenseError.wrongModel = error { return true }
            return false
        }
    }

    @Test("tampered license: any edit breaks the signature or the canonical form")
    func tampered() throws {
        let machine = try FakeMachine()
        let vendor = try Vendor()
        let model = try vendor.model()
        let license = try vendor.issue(try machine.request(vendor: vendor), models: [model.sealed])
        let text = String(decoding: license.encoded, as: UTF8.self)
        let edited = text.replacing("\"customer\":\"ACME\"", with: "\"customer\":\"EVIL\"")
        #expect(edited != text)
        #expect(
            throws: LicenseError.tamperedLicense(
                "the vendor signature does not verify (the license was edited after signing)")
        ) {
            try SignedLicense(encoded: Array(edited.utf8))
        }
        #expect {
            try SignedLicense(encoded: Array(text.replacing("{\"license\":", with: "{ \"license\":").utf8))
        } throws: { error in
            if case LicenseError.malformed = error { return true }
            return false
        }
    }

    @Test("a license signed by another key (a customer minting their own) is refused")
    func forgedByAnotherKey() throws {
        let machine = try FakeMachine()
        let vendor = try Vendor()
        let forger = try Vendor()
        let model = try vendor.model()
        let genuine = try vendor.issue(try machine.request(vendor: vendor), models: [model.sealed])
        var terms = genuine.license
        terms = License(
            version: terms.version, id: terms.id, customer: terms.customer, issuedAt: terms.issuedAt,
            notBefore: terms.notBefore,
            expiresAt: nil,
            models: terms.models, machine: terms.machine, keyWrapping: terms.keyWrapping, maxLoads: nil,
            features: terms.features, guards: terms.guards)
        let forged = try SignedLicense.sign(terms, with: forger.signingKey, algorithm: .ed25519)
        #expect {
            try licensedOpen(model.sealed, license: forged, on: machine)
        } throws: { error in
            if case LicenseError.untrustedVendor = error { return true }
            return false
        }
    }

    @Test("a license that needs online check-in is refused by this version")
    func onlineReserved() throws {
        let machine = try FakeMachine()
        let vendor = try Vendor()
        let model = try vendor.model()
        let license = try vendor.issue(try machine.request(vendor: vendor), models: [model.sealed])
        guard case .object(var members) = license.license.json else { return }
        members["online"] = .object(["url": .string("https://licenses.example"), "grace_seconds": .integer(86_400)])
        #expect(throws: LicenseError.unsupported("online check-in (field 'online' is reserved for the license server)"))
        {
            try License(json: .object(members))
        }
    }

    @Test("memory-only licenses refuse writing the model out")
    func memoryOnly() throws {
        let machine = try FakeMachine()
        let vendor = try Vendor()
        let model = try vendor.model()
        var terms = LicenseTerms(customer: "ACME")
        terms.features.fileOutput = false
        let license = try vendor.issue(try machine.request(vendor: vendor), models: [model.sealed], terms: terms)
        #expect(try licensedOpen(model.sealed, license: license, on: machine, use: .memory) == model.plain)
        #expect {
            try licensedOpen(model.sealed, license: license, on: machine, use: .file)
        } throws: { error in
            if case LicenseError.featureNotLicensed = error { return true }
            return false
        }
    }

    @Test(
        "every algorithm the signing module offers signs licenses",
        arguments: [SignatureAlgorithm.ecdsaP256SHA256, .rsaPSSSHA256])
    func otherAlgorithms(algorithm: SignatureAlgorithm) throws {
        let machine = try FakeMachine()
        let vendor = try Vendor(algorithm)
        let model = try vendor.model()
        let license = try vendor.issue(try machine.request(vendor: vendor), models: [model.sealed])
        #expect(
            try licensedOpen(model.sealed, license: try SignedLicense(encoded: license.encoded), on: machine)
                == model.plain)
    }
}
