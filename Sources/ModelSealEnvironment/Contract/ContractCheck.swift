/// Compares an environment with a contract under the contract's policy (docs/ENVIRONMENT.md §Policies).
public enum ContractCheck {
    /// The report for `environment` against `contract`.
    public static func report(_ contract: EnvironmentContract, against environment: EnvironmentLock) -> ContractReport {
        let lock = contract.lock
        var all: [ContractReport.Difference] = []
        let fatalExact = contract.policy == .exact || contract.policy == .pinned
        let extrasFatal = contract.policy == .exact
        func add(
            _ kind: ContractReport.Difference.Kind, _ name: String, _ expected: String?, _ actual: String?, fatal: Bool
        ) {
            all.append(.init(kind: kind, name: name, expected: expected, actual: actual, fatal: fatal))
        }
        if lock.platform != environment.platform {
            add(
                .platform, "platform", lock.platform.description, environment.platform.description,
                fatal: contract.policy != .warn)
        }
        if let subdir = lock.conda?.subdir ?? lock.conda?.spec?.subdir,
            let platform = EnvironmentLock.Platform(condaSubdir: subdir),
            platform != environment.platform, lock.platform == environment.platform
        {
            add(
                .platform, "conda subdir", "\(subdir) (\(platform))", environment.platform.description,
                fatal: contract.policy != .warn)
        }
        switch contract.policy {
        case .exact, .warn, .pinned:
            exactDifferences(lock, environment, fatal: fatalExact) { kind, name, expected, actual, fatal in
                add(kind, name, expected, actual, fatal: fatal && (kind != .extra || extrasFatal))
            }
            return finish(contract.policy, all, ignored: 0)
        case .compatible:
            var ignored: [ContractReport.Difference] = []
            exactDifferences(lock, environment, fatal: false) { kind, name, expected, actual, _ in
                ignored.append(.init(kind: kind, name: name, expected: expected, actual: actual, fatal: false))
            }
            var keyNames = Set<String>()
            for key in contract.compatibleKeys {
                let (expected, actual, label) = compatibleValues(key, lock, environment)
                keyNames.insert(label)
                switch (expected, actual) {
                case (nil, _): continue
                case (let expected?, nil): add(.missing, label, expected, nil, fatal: true)
                case (let expected?, let actual?):
                    let wanted = key == "cudnn" ? VersionText(expected).major : VersionText(expected).majorMinor
                    let found = key == "cudnn" ? VersionText(actual).major : VersionText(actual).majorMinor
                    if wanted != found { add(.version, label, expected, actual, fatal: true) }
                }
            }
            let rest = ignored.filter { !keyNames.contains($0.name) }
            return finish(.compatible, all, ignored: rest.count)
        }
    }

    /// Throws `platformMismatch` or `mismatch` when the policy forbids what the report found.
    public static func enforce(_ contract: EnvironmentContract, against environment: EnvironmentLock)
        throws(EnvironmentError) -> ContractReport
    {
        let report = report(contract, against: environment)
        guard report.isSatisfied else {
            if report.differences.contains(where: { $0.kind == .platform && $0.fatal }) {
                throw .platformMismatch(report)
            }
            throw .mismatch(report)
        }
        return report
    }

    static func finish(_ policy: ContractPolicy, _ differences: [ContractReport.Difference], ignored: Int)
        -> ContractReport
    {
        let order: [ContractReport.Difference.Kind: Int] = [.platform: 0, .version: 1, .missing: 2, .extra: 3]
        // Fatal first; then what changes numbers most (platform, interpreter, torch, CUDA, NumPy,
        // compiled packages: `DifferenceRank`); then by kind and name.
        let sorted = differences.sorted {
            if $0.fatal != $1.fatal { return $0.fatal }
            let (left, right) = ($0.rank, $1.rank)
            if left != right { return left < right }
            if $0.kind != $1.kind { return order[$0.kind, default: 9] < order[$1.kind, default: 9] }
            return $0.name < $1.name
        }
        return ContractReport(policy: policy, differences: sorted, ignoredCount: ignored)
    }

    /// The compatible-set value of `key` in the contract and here, and the name shown.
    static func compatibleValues(_ key: String, _ lock: EnvironmentLock, _ here: EnvironmentLock) -> (
        String?, String?, String
    ) {
        switch key {
        case "python": return (lock.python.version, here.python.version, "python")
        case "cuda": return (lock.torch?.cuda, here.torch?.cuda, "cuda")
        case "cudnn": return (lock.torch?.cudnn, here.torch?.cudnn, "cudnn")
        default:
            func version(_ lock: EnvironmentLock) -> String? {
                lock.distributions.first(where: { $0.name == key })?.version
                    ?? lock.conda?.packages.first(where: { $0.name == key })?.version
            }
            return (version(lock), version(here), key)
        }
    }

    /// Distributions no policy compares: the installer tooling (every venv has some version of it)
    /// and `modelseal` itself, which the customer installs to load the model.
    public static let ignoredDistributions = PythonEnvironmentProbe.tooling.union(["modelseal"])

    static func exactDifferences(
        _ lock: EnvironmentLock, _ here: EnvironmentLock, fatal: Bool,
        add: (ContractReport.Difference.Kind, String, String?, String?, Bool) -> Void
    ) {
        if lock.python.implementation != here.python.implementation || lock.python.version != here.python.version {
            add(
                .version, "python", "\(lock.python.implementation) \(lock.python.version)",
                "\(here.python.implementation) \(here.python.version)", fatal)
        }
        // Distributions: both lists are sorted by name; walk them together.
        let ignored = ignoredDistributions
        let expected = lock.distributions.filter { !ignored.contains($0.name) }
        let actual = here.distributions.filter { !ignored.contains($0.name) }
        var i = 0
        var j = 0
        while i < expected.count || j < actual.count {
            if j == actual.count || (i < expected.count && expected[i].name < actual[j].name) {
                add(.missing, expected[i].name, expected[i].version, nil, fatal)
                i += 1
            } else if i == expected.count || actual[j].name < expected[i].name {
                add(.extra, actual[j].name, nil, actual[j].version, fatal)
                j += 1
            } else {
                if expected[i].version != actual[j].version {
                    add(.version, expected[i].name, expected[i].version, actual[j].version, fatal)
                }
                i += 1
                j += 1
            }
        }
        if let torch = lock.torch, let hereTorch = here.torch {
            if torch.cuda != hereTorch.cuda {
                add(.version, "cuda", torch.cuda ?? "none (CPU build)", hereTorch.cuda ?? "none (CPU build)", fatal)
            }
            if torch.cudnn != hereTorch.cudnn {
                add(.version, "cudnn", torch.cudnn ?? "none", hereTorch.cudnn ?? "none", fatal)
            }
            if torch.hip != hereTorch.hip { add(.version, "hip", torch.hip ?? "none", hereTorch.hip ?? "none", fatal) }
            if torch.version == hereTorch.version, torch.gitVersion != hereTorch.gitVersion {
                add(.version, "torch build", torch.gitVersion ?? "unknown", hereTorch.gitVersion ?? "unknown", fatal)
            }
        }
        if let packages = lock.conda?.packages, !packages.isEmpty {
            let herePackages = here.conda?.packages ?? []
            if herePackages.isEmpty {
                add(.missing, "conda", "\(packages.count) conda packages", nil, fatal)
                return
            }
            var byName: [String: EnvironmentLock.CondaPackage] = [:]
            for package in herePackages { byName[package.name] = package }
            for package in packages {
                guard let found = byName.removeValue(forKey: package.name) else {
                    add(.missing, "conda:" + package.name, "\(package.version) \(package.build)", nil, fatal)
                    continue
                }
                if found.version != package.version || found.build != package.build {
                    add(
                        .version, "conda:" + package.name, "\(package.version) \(package.build)",
                        "\(found.version) \(found.build)", fatal)
                }
            }
            for package in byName.values {
                add(.extra, "conda:" + package.name, nil, "\(package.version) \(package.build)", fatal)
            }
        }
    }
}
