import Testing

@testable import ModelSealLicensing

@Suite("Mutated license files and requests")
struct LicenseMutationTests {
    /// xorshift: seeded, so a failure reproduces.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
    }

    @Test("every single-byte change, deletion or insertion is refused, never crashes")
    func mutations() throws {
        let machine = try FakeMachine()
        let vendor = try Vendor()
        let model = try vendor.model(1000)
        let request = try machine.request(vendor: vendor)
        let license = try vendor.issue(request, models: [model.sealed])
        var random = Seeded(state: 0x5EED_1CE5)
        for original in [license.encoded, request.encoded] {
            for _ in 0..<400 {
                var bytes = original
                let index = Int.random(in: 0..<(bytes.count - 1), using: &random)  // keep the final LF
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes[index] ^= UInt8.random(in: 1...255, using: &random)
                case 1: bytes.remove(at: index)
                default: bytes.insert(UInt8.random(in: 0...255, using: &random), at: index)
                }
                if original == license.encoded {
                    #expect(throws: LicenseError.self) { try SignedLicense(encoded: bytes) }
                } else if let parsed = try? LicenseRequest(encoded: bytes) {
                    // A request is unsigned: an edit that stays canonical is accepted but is then a different request.
                    #expect(parsed != request)
                }
            }
        }
    }

    @Test("a machine key file moved to another vendor's folder is refused")
    func movedMachineKey() throws {
        let machine = try FakeMachine()
        let one = try Vendor()
        let two = try Vendor()
        _ = try machine.request(vendor: one)
        try run(
            "mkdir -p '\(machine.directory.vendorPath(two.keyID))' && cp '\(machine.directory.vendorPath(one.keyID))/machine.json' '\(machine.directory.vendorPath(two.keyID))/'"
        )
        #expect(throws: LicenseError.self) { try machine.directory.machineIdentity(vendorKeyID: two.keyID) }
    }
}
