import ContainerFormat
import Testing

@testable import ModelSealEnvironment

@Suite("Contracts: the header extension and the policies")
struct ContractTests {
    let vendor = Fixtures.lock()

    func check(_ policy: ContractPolicy, _ here: EnvironmentLock, keys: [String]? = nil) throws -> ContractReport {
        ContractCheck.report(try EnvironmentContract(policy: policy, compatibleKeys: keys, lock: vendor), against: here)
    }

    @Test("the extension body round-trips for every policy and is type 0x8005, critical")
    func roundTrip() throws {
        for policy in ContractPolicy.allCases {
            let contract = try EnvironmentContract(policy: policy, lock: vendor)
            #expect(try EnvironmentContract.parse(contract.encoded()) == contract)
            #expect(contract.headerExtension.type.rawValue == 0x8005 && contract.headerExtension.type.isCritical)
        }
        let custom = try EnvironmentContract(policy: .compatible, compatibleKeys: ["MKL", "python"], lock: vendor)
        #expect(custom.compatibleKeys == ["mkl", "python"])
        #expect(try EnvironmentContract.find(in: [custom.headerExtension]) == custom)
        #expect(try EnvironmentContract.find(in: []) == nil)
    }

    @Test(
        "malformed extension bodies are refused",
        arguments: [
            [UInt8](), [2, 1, 0, 0, 0, 0, 1, 0x7B], [1, 9, 0, 0, 0, 0, 1, 0x7B], [1, 1, 1, 1, 0x61, 0, 0, 0, 1, 0x7B],
            [1, 2, 0, 0, 0, 0, 1, 0x7B], [1, 1, 0, 0, 0, 0, 9, 0x7B], [1, 1, 0, 0x7F, 0xFF, 0xFF, 0xFF],
        ])
    func malformedBodies(body: [UInt8]) {
        #expect(throws: EnvironmentError.self) { try EnvironmentContract.parse(body) }
    }

    @Test("trailing bytes, a non-canonical lock and unsorted keys are refused")
    func strictness() throws {
        let body = try EnvironmentContract(policy: .exact, lock: vendor).encoded()
        #expect(throws: EnvironmentError.self) { try EnvironmentContract.parse(body + [0]) }
        var spaced = Array(body.prefix(3))
        let lock = vendor.canonicalBytes() + [0x20]
        spaced +=
            [
                UInt8(lock.count >> 24), UInt8(lock.count >> 16 & 0xFF), UInt8(lock.count >> 8 & 0xFF),
                UInt8(lock.count & 0xFF),
            ] + lock
        #expect(throws: EnvironmentError.self) { try EnvironmentContract.parse(spaced) }
        let lockBytes = vendor.canonicalBytes()
        let unsorted: [UInt8] =
            [1, 2, 2, 1, 0x62, 1, 0x61] + [0, 0, UInt8(lockBytes.count >> 8), UInt8(lockBytes.count & 0xFF)] + lockBytes
        #expect(throws: EnvironmentError.self) { try EnvironmentContract.parse(unsorted) }
    }

    @Test("exact: the same environment passes")
    func exactSame() throws {
        let report = try check(.exact, vendor)
        #expect(report.isSatisfied && report.differences.isEmpty)
        #expect(report.rendered.contains("matches"))
    }

    @Test("exact: missing, extra and different versions are fatal and listed")
    func exactDiff() throws {
        let here = Fixtures.lock(distributions: [("numpy", "2.3.5"), ("pytest", "8.0.0")])
        let report = try check(.exact, here)
        #expect(!report.isSatisfied)
        #expect(Set(report.differences.map(\.kind)) == [.version, .missing, .extra])
        #expect(report.rendered.contains("~ numpy"))
        #expect(report.rendered.contains("- torch"))
        #expect(report.rendered.contains("+ pytest"))
        #expect(throws: EnvironmentError.self) {
            try ContractCheck.enforce(EnvironmentContract(policy: .exact, lock: vendor), against: here)
        }
    }

    @Test("exact: local version labels are part of the version (+cu121 is another build than +cu132 or none)")
    func localVersions() throws {
        for torch in ["2.15.0+cu121", "2.15.0", "2.15.0+cpu"] {
            let report = try check(.exact, Fixtures.lock(distributions: [("numpy", "2.4.6"), ("torch", torch)]))
            #expect(report.differences.map(\.name) == ["torch"], "\(torch)")
        }
    }

    @Test("exact: another CUDA build of torch is fatal, and so is another Python patch release")
    func cudaAndPython() throws {
        let report = try check(.exact, Fixtures.lock(python: "3.11.9", cuda: "12.1"))
        #expect(Set(report.differences.map(\.name)) == ["python", "cuda"])
        #expect(!report.isSatisfied)
    }

    @Test("compatible: patch releases and local labels pass; another minor of a key fails; others are counted")
    func compatible() throws {
        let patch = Fixtures.lock(
            python: "3.11.9", distributions: [("numpy", "2.4.1"), ("pytest", "8.0"), ("torch", "2.15.2+cu132")])
        let report = try check(.compatible, patch)
        #expect(report.isSatisfied)
        #expect(report.ignoredCount == 1)  // pytest; the keys python, numpy, torch differ only in patch/local
        let minor = Fixtures.lock(distributions: [("numpy", "2.3.5"), ("torch", "2.15.0+cu132")], cuda: "12.8")
        let bad = try check(.compatible, minor)
        #expect(!bad.isSatisfied)
        #expect(Set(bad.differences.map(\.name)) == ["numpy", "cuda"])
        let missing = try check(.compatible, Fixtures.lock(distributions: [("numpy", "2.4.6")], cuda: nil))
        #expect(missing.differences.map(\.name) == ["torch", "cuda"])  // ranked: torch before CUDA
        // A custom set ignores what it does not name.
        #expect(try check(.compatible, minor, keys: ["python", "torch"]).isSatisfied)
    }

    @Test("warn: differences are reported, never fatal, not even the platform")
    func warn() throws {
        let here = Fixtures.lock(
            platform: .init(system: "darwin", machine: "arm64"), distributions: [("numpy", "1.26.4")])
        let report = try check(.warn, here)
        #expect(report.isSatisfied)
        #expect(!report.differences.isEmpty)
        #expect(report.rendered.contains("(allowed)"))
    }

    @Test("a contract for another platform fails as a platform mismatch under exact and compatible")
    func otherPlatform() throws {
        for policy in [ContractPolicy.exact, .compatible] {
            let contract = try EnvironmentContract(policy: policy, lock: vendor)
            let here = Fixtures.lock(platform: .init(system: "linux", machine: "aarch64"))
            #expect {
                try ContractCheck.enforce(contract, against: here)
            } throws: { error in
                guard case .platformMismatch(let report) = error as? EnvironmentError else { return false }
                return report.rendered.contains("linux-x86_64") && report.rendered.contains("linux-aarch64")
            }
        }
        // The conda subdir of a spec names a platform too.
        let spec = try ExplicitSpec.parse(Array(Fixtures.explicitSpec.utf8).map { $0 })
        var osx = spec
        osx.subdir = "osx-arm64"
        let condaLock = Fixtures.lock(conda: .init(subdir: nil, packages: [], spec: osx))
        let report = ContractCheck.report(try EnvironmentContract(policy: .exact, lock: condaLock), against: vendor)
        #expect(report.platformDiffers && !report.isSatisfied)
    }

    @Test("conda records: another build of mkl is a difference; a non-conda environment misses them all")
    func condaPackages() throws {
        let mkl = EnvironmentLock.CondaPackage(
            name: "mkl", version: "2023.1.0", build: "h213fc3f_46344", channel: "pkgs/main")
        let lock = Fixtures.lock(conda: .init(subdir: "linux-64", packages: [mkl], spec: nil))
        let contract = try EnvironmentContract(policy: .exact, lock: lock)
        var other = mkl
        other.build = "hdb19cb5_48680"
        let here = Fixtures.lock(conda: .init(subdir: "linux-64", packages: [other], spec: nil))
        #expect(ContractCheck.report(contract, against: here).differences.map(\.name) == ["conda:mkl"])
        #expect(ContractCheck.report(contract, against: Fixtures.lock()).differences.map(\.name) == ["conda"])
    }

    @Test("the rendered diff is capped; the JSON report carries everything")
    func cap() throws {
        let many = (0..<100).map { ("pkg\($0)", "1.0") }
        let report = try check(
            .exact, Fixtures.lock(distributions: many + [("numpy", "2.4.6"), ("torch", "2.15.0+cu132")]))
        #expect(report.differences.count == 100)
        #expect(report.rendered.contains("and 60 more"))
    }
}
