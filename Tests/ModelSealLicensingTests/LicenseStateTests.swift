import ContainerEngine
import Crypto
import Dispatch
import ModelSealCore
import Testing

@testable import ModelSealLicensing

@Suite("Load counts, state files and the clock")
struct LicenseStateTests {
    func setUp(maxLoads: Int64? = 3) throws -> (FakeMachine, Vendor, (plain: [UInt8], sealed: [UInt8]), SignedLicense) {
        let machine = try FakeMachine()
        let vendor = try Vendor()
        let model = try vendor.model()
        var terms = LicenseTerms(customer: "ACME")
        terms.maxLoads = maxLoads
        let license = try vendor.issue(try machine.request(vendor: vendor), models: [model.sealed], terms: terms)
        return (machine, vendor, model, license)
    }

    func stateFiles(_ machine: FakeMachine, _ license: SignedLicense) -> LicenseState.Files {
        machine.validator.stateFiles(license.license)
    }

    @Test("loads are counted up to the limit; verification does not count")
    func exhausted() throws {
        let (machine, _, model, license) = try setUp(maxLoads: 2)
        let file = try SealedFile(MemorySource(model.sealed))
        try machine.validator.authorize(license, for: file, use: .verify).recordLoad()
        _ = try licensedOpen(model.sealed, license: license, on: machine)
        _ = try licensedOpen(model.sealed, license: license, on: machine)
        #expect {
            try licensedOpen(model.sealed, license: license, on: machine)
        } throws: { error in
            guard case LicenseError.loadsExhausted(let maximum, _) = error else { return false }
            return maximum == 2
        }
        #expect(machine.validator.status(of: license).loadsUsed == 2)
    }

    @Test("an edited state file is refused")
    func edited() throws {
        let (machine, _, model, license) = try setUp()
        _ = try licensedOpen(model.sealed, license: license, on: machine)
        let files = stateFiles(machine, license)
        let text = String(decoding: try AtomicFiles.read(files.state) ?? [], as: UTF8.self)
        let edited = text.replacing("\"loads\":1", with: "\"loads\":0")
        #expect(edited != text)
        try AtomicFiles.write(Array(edited.utf8), to: files.state)
        #expect(throws: LicenseError.stateTampered(path: files.state)) {
            try licensedOpen(model.sealed, license: license, on: machine)
        }
    }

    @Test("a state file restored from an older copy is refused as rolled back; so is a deleted one")
    func rolledBack() throws {
        let (machine, _, model, license) = try setUp(maxLoads: 5)
        let files = stateFiles(machine, license)
        _ = try licensedOpen(model.sealed, license: license, on: machine)
        let saved = try AtomicFiles.read(files.state) ?? []
        _ = try licensedOpen(model.sealed, license: license, on: machine)
        try AtomicFiles.write(saved, to: files.state)
        #expect(throws: LicenseError.stateRolledBack(path: files.state, found: 1, expected: 2)) {
            try licensedOpen(model.sealed, license: license, on: machine)
        }
        machine.remove(files.state.dropFirst(machine.root.count).description)
        #expect(throws: LicenseError.stateRolledBack(path: files.state, found: 0, expected: 2)) {
            try licensedOpen(model.sealed, license: license, on: machine)
        }
    }

    @Test("the clock set back before the last load, or before the issue time, is refused")
    func clockRollback() throws {
        let (machine, _, model, license) = try setUp()
        machine.now += 86_400
        _ = try licensedOpen(model.sealed, license: license, on: machine)
        let lastLoad = machine.now
        machine.now -= 600
        #expect(
            throws: LicenseError.clockRollback(
                now: lastLoad - 600, reference: lastLoad, what: "the last load recorded on this machine")
        ) {
            try licensedOpen(model.sealed, license: license, on: machine)
        }
        machine.now = lastLoad - 60  // within the tolerated step back
        _ = try licensedOpen(model.sealed, license: license, on: machine)

        let (fresh, _, freshModel, freshLicense) = try setUp()
        fresh.now = freshLicense.license.issuedAt - 2 * 3600
        #expect(
            throws: LicenseError.clockRollback(
                now: fresh.now, reference: freshLicense.license.issuedAt, what: "the license's issue time")
        ) { try licensedOpen(freshModel.sealed, license: freshLicense, on: fresh) }
    }

    @Test("a fresh licensing folder (or deleted state files) does not reset loads: the record outside it remains")
    func freshFolderIsRolledBack() throws {
        let (machine, _, model, license) = try setUp(maxLoads: 2)
        let files = stateFiles(machine, license)
        _ = try licensedOpen(model.sealed, license: license, on: machine)
        _ = try licensedOpen(model.sealed, license: license, on: machine)
        // The review's attack: a fresh MODELSEAL_LICENSE_DIR holding only a copy of machine.json.
        try run("rm -rf '\(machine.directory.vendorPath(license.license.machine.vendorKeyID))/state'")
        #expect(throws: LicenseError.stateRolledBack(path: files.state, found: 0, expected: 2)) {
            try licensedOpen(model.sealed, license: license, on: machine)
        }
        // Deleting only the record beside version 2 state files is refused as well.
        let (other, _, otherModel, otherLicense) = try setUp()
        _ = try licensedOpen(otherModel.sealed, license: otherLicense, on: other)
        let otherFiles = stateFiles(other, otherLicense)
        other.remove(String(otherFiles.recordCopy.dropFirst(other.root.count)))
        #expect(throws: LicenseError.stateRolledBack(path: otherFiles.recordCopy, found: 0, expected: 1)) {
            try licensedOpen(otherModel.sealed, license: otherLicense, on: other)
        }
    }

    @Test("stated limit: restoring every licensing and record file from a backup restores the loads")
    func fullRestoreResetsLoads() throws {
        let (machine, _, model, license) = try setUp(maxLoads: 1)
        try run("cp -a '\(machine.root)/licensing' '\(machine.root)/licensing.bak'")
        try run(
            "cp -a '\(machine.root)/records' '\(machine.root)/records.bak' 2>/dev/null || mkdir '\(machine.root)/records.bak'"
        )
        _ = try licensedOpen(model.sealed, license: license, on: machine)
        #expect(throws: LicenseError.self) { try licensedOpen(model.sealed, license: license, on: machine) }
        try run(
            "rm -rf '\(machine.root)/licensing' '\(machine.root)/records' && mv '\(machine.root)/licensing.bak' "
                + "'\(machine.root)/licensing' && mv '\(machine.root)/records.bak' '\(machine.root)/records'")
        // Software cannot tell a full restore from a first use: the load opens again (SECURITY.md, licensee row).
        #expect(try licensedOpen(model.sealed, license: license, on: machine) == model.plain)
    }

    @Test("after an expiry was seen, a clock set back before it is a rollback, also in a fresh licensing folder")
    func expiryMark() throws {
        let machine = try FakeMachine()
        let vendor = try Vendor()
        let model = try vendor.model()
        var terms = LicenseTerms(customer: "ACME")
        terms.expiresAt = machine.now + 86_400
        let license = try vendor.issue(try machine.request(vendor: vendor), models: [model.sealed], terms: terms)
        let expiry = machine.now + 86_400
        machine.now = expiry + 10
        #expect(throws: LicenseError.expired(expiresAt: expiry, now: expiry + 10)) {
            try licensedOpen(model.sealed, license: license, on: machine)
        }
        let seen = LicenseError.clockRollback(
            now: expiry - 1, reference: expiry + 10, what: "the time this license was seen expired here")
        machine.now = expiry - 1  // the review's attack: the clock just before expiry, forever
        #expect(throws: seen) { try licensedOpen(model.sealed, license: license, on: machine) }
        #expect(machine.validator.status(of: license).expirySeen == expiry + 10)
        try run("rm -rf '\(machine.directory.vendorPath(vendor.keyID))/state'")
        #expect(throws: seen) { try licensedOpen(model.sealed, license: license, on: machine) }
        // Stated limit: removing the records folder too (a full restore) reopens it with the clock set back.
        try run("rm -rf '\(machine.root)/records'")
        #expect(try licensedOpen(model.sealed, license: license, on: machine) == model.plain)
    }

    @Test("state files written before records existed (version 1, no record) keep working and gain a record")
    func versionOneStateUpgrades() throws {
        let (machine, _, model, license) = try setUp(maxLoads: 3)
        let files = stateFiles(machine, license)
        let identity = try #require(
            try machine.directory.machineIdentity(vendorKeyID: license.license.machine.vendorKeyID))
        let key = try identity.unlock(with: machine.fingerprint(vendor: license.license.machine.vendorKeyID))
        let stateKey = LicenseState.key(
            machinePrivateKey: Array(key.rawRepresentation), licenseID: license.license.id)
        var members: JSONObject = [
            "type": .string("modelseal-license-state"), "version": .integer(1),
            "license_id": .string(license.license.id), "loads": .integer(2), "last_seen": .integer(machine.now),
            "generation": .integer(2),
        ]
        let mac = HMAC<SHA256>.authenticationCode(for: JSONValue.object(members).canonicalBytes, using: stateKey)
        members["mac"] = .string(Hex.encode(mac))
        try AtomicFiles.makeDirectory(String(files.base[..<(files.base.lastIndex(of: "/") ?? files.base.endIndex)]))
        try AtomicFiles.write(JSONValue.object(members).canonicalBytes, to: files.state)
        try AtomicFiles.write(JSONValue.object(members).canonicalBytes, to: files.mirror)
        _ = try licensedOpen(model.sealed, license: license, on: machine)
        #expect(try AtomicFiles.read(files.recordCopy) != nil)
        #expect(machine.validator.status(of: license).loadsUsed == 3)
        #expect(throws: LicenseError.self) { try licensedOpen(model.sealed, license: license, on: machine) }
    }

    @Test("workers loading at once each count exactly once (file lock, atomic rename)")
    func concurrentLoads() throws {
        let (machine, _, model, license) = try setUp(maxLoads: 6)
        let file = try SealedFile(MemorySource(model.sealed))
        let validator = machine.validator
        let results = ResultBox()
        DispatchQueue.concurrentPerform(iterations: 10) { _ in
            do {
                try validator.authorize(license, for: file, use: .memory).recordLoad()
                results.add(true)
            } catch {
                results.add(false)
            }
        }
        #expect(results.successes == 6)
        #expect(validator.status(of: license).loadsUsed == 6)
    }
}

final class ResultBox: @unchecked Sendable {
    private let lock = DispatchSemaphore(value: 1)
    private var values: [Bool] = []
    func add(_ value: Bool) {
        lock.wait()
        values.append(value)
        lock.signal()
    }
    var successes: Int { values.filter { $0 }.count }
}
