import Testing

@testable import ModelSealEnvironment

@Suite("Contracts: the pinned policy, modelseal itself ignored, the diff ranked by what changes numbers")
struct PinnedPolicyTests {
    let vendor = Fixtures.lock()

    func report(_ policy: ContractPolicy, _ here: EnvironmentLock, lock: EnvironmentLock? = nil) throws
        -> ContractReport
    {
        ContractCheck.report(try EnvironmentContract(policy: policy, lock: lock ?? vendor), against: here)
    }

    @Test("pinned is byte 0x04, round-trips, and is the default of new contracts; old bytes keep their meaning")
    func policyByte() throws {
        #expect(ContractPolicy.pinned.rawValue == 4 && ContractPolicy.default == .pinned)
        #expect(ContractPolicy.exact.rawValue == 1 && ContractPolicy.compatible.rawValue == 2)
        #expect(ContractPolicy.warn.rawValue == 3)
        let contract = try EnvironmentContract(policy: .pinned, lock: vendor)
        #expect(contract.encoded()[1] == 4)
        #expect(try EnvironmentContract.parse(contract.encoded()) == contract)
        var unknown = contract.encoded()
        unknown[1] = 5
        #expect(throws: EnvironmentError.self) { try EnvironmentContract.parse(unknown) }
        #expect(ContractPolicy(name: "pinned") == .pinned)
    }

    @Test("pinned: extra distributions (modelseal, fastapi, jupyter) are notes; the pinned ones must match")
    func extrasAllowed() throws {
        let here = Fixtures.lock(distributions: [
            ("fastapi", "0.110.0"), ("jupyter", "1.0.0"), ("modelseal", "0.1.0"), ("numpy", "2.4.6"),
            ("torch", "2.15.0+cu132"),
        ])
        let pinned = try report(.pinned, here)
        #expect(pinned.isSatisfied)
        #expect(pinned.differences.map(\.name) == ["fastapi", "jupyter"])
        #expect(pinned.differences.allSatisfy { $0.kind == .extra && !$0.fatal })
        #expect(pinned.rendered.contains("+ fastapi") && pinned.rendered.contains("(note: allowed)"))
        // exact still refuses extras, but never modelseal itself.
        let exact = try report(.exact, here)
        #expect(!exact.isSatisfied)
        #expect(exact.differences.map(\.name) == ["fastapi", "jupyter"])
        let onlyModelSeal = Fixtures.lock(distributions: [
            ("modelseal", "0.1.0"), ("numpy", "2.4.6"), ("torch", "2.15.0+cu132"),
        ])
        #expect(try report(.exact, onlyModelSeal).differences.isEmpty)
    }

    @Test("pinned: a missing or different pinned distribution, Python, CUDA or platform is fatal")
    func pinnedFatal() throws {
        let older = try report(.pinned, Fixtures.lock(distributions: [("numpy", "2.3.5"), ("torch", "2.15.0+cu132")]))
        #expect(!older.isSatisfied && older.differences.map(\.name) == ["numpy"])
        let missing = try report(.pinned, Fixtures.lock(distributions: [("numpy", "2.4.6")], cuda: nil))
        #expect(!missing.isSatisfied && missing.differences.map(\.name) == ["torch"])
        #expect(!(try report(.pinned, Fixtures.lock(python: "3.11.9"))).isSatisfied)
        #expect(!(try report(.pinned, Fixtures.lock(cuda: "12.1"))).isSatisfied)
        #expect {
            try ContractCheck.enforce(
                EnvironmentContract(policy: .pinned, lock: vendor),
                against: Fixtures.lock(platform: .init(system: "linux", machine: "aarch64")))
        } throws: { error in
            guard case .platformMismatch = error as? EnvironmentError else { return false }
            return true
        }
    }

    @Test("pinned: an extra conda package is a note; another build of a pinned one is fatal")
    func condaExtras() throws {
        let mkl = EnvironmentLock.CondaPackage(name: "mkl", version: "2023.1.0", build: "h1", channel: "pkgs/main")
        let extra = EnvironmentLock.CondaPackage(name: "jq", version: "1.7", build: "h2", channel: "conda-forge")
        let lock = Fixtures.lock(conda: .init(subdir: "linux-64", packages: [mkl], spec: nil))
        let here = Fixtures.lock(conda: .init(subdir: "linux-64", packages: [extra, mkl], spec: nil))
        let allowed = try report(.pinned, here, lock: lock)
        #expect(allowed.isSatisfied && allowed.differences.map(\.name) == ["conda:jq"])
        var rebuilt = mkl
        rebuilt.build = "h9"
        let other = try report(
            .pinned, Fixtures.lock(conda: .init(subdir: "linux-64", packages: [rebuilt], spec: nil)),
            lock: lock)
        #expect(!other.isSatisfied)
    }

    @Test("the diff lists python, torch, CUDA, NumPy and compiled packages first and never elides them")
    func ranking() throws {
        // A venv without torch: 60 nvidia-* libraries and 50 pure-Python packages are missing too.
        var contractDistributions = [("numpy", "2.4.6"), ("torch", "2.15.0+cu132"), ("scipy", "1.14.0")]
        for index in 0..<60 { contractDistributions.append(("nvidia-lib\(index)-cu12", "12.\(index)")) }
        for index in 0..<50 { contractDistributions.append(("aaa-pure\(index)", "1.\(index)")) }
        let lock = Fixtures.lock(distributions: contractDistributions)
        let here = Fixtures.lock(python: "3.11.9", distributions: [("numpy", "1.26.4")])
        let report = try report(.exact, here, lock: lock)
        let names = report.differences.map(\.name)
        #expect(Array(names.prefix(2)) == ["python", "torch"])
        #expect(names.firstIndex(of: "numpy")! < names.firstIndex(of: "scipy")!)
        #expect(names.firstIndex(of: "scipy")! < names.firstIndex(of: "aaa-pure0")!)
        #expect(names.firstIndex(of: "nvidia-lib59-cu12")! < names.firstIndex(of: "numpy")!)
        let rendered = report.rendered
        for name in ["python", "torch", "numpy", "scipy", "nvidia-lib0-cu12", "nvidia-lib59-cu12"] {
            #expect(rendered.contains(" \(name) "), "\(name) is listed")
        }
        #expect(rendered.contains("... and 10 more pure-Python package(s)"))
        #expect(!rendered.contains("aaa-pure49"))
    }
}
