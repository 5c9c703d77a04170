import ContainerEngine
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
        LicenseState.Files(
            base: machine.directory.statePath(license.license.machine.vendorKeyID, licenseID: license.license.id))
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
