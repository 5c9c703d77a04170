import ArgumentParser
import ContainerEngine
import ContainerFormat
import ModelSealCore
import ModelSealEnvironment
import ModelSealKit
import ModelSealSigning

extension ModelSeal {
    /// `modelseal env`: capture an environment lock, check an environment against a contract.
    struct Env: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "env",
            abstract: "Capture a Python environment as a lock, or check one against a model's contract.",
            discussion: """
                The environment is the contract: the vendor captures the environment a model was tested in, embeds \
                it in the sealed file (`seal --env`), and the customer's environment is checked against it before \
                the model is loaded. Nothing is imported: facts come from the environment's files. See docs/ENVIRONMENT.md.

                Examples:
                  modelseal env capture --python venv/bin/python -o env.lock.json
                  modelseal env capture --python /opt/conda/envs/prod \\
                      --from environment.yml -o env.lock.json
                  modelseal env check --contract model.mseal --trust vendor.key.pub \\
                      --python venv/bin/python
                """,
            subcommands: [Capture.self, Check.self])
    }
}

extension ModelSeal.Env {
    /// `modelseal env capture`.
    struct Capture: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "capture",
            abstract: "Record a Python environment (interpreter, platform, distributions, torch build, conda records).",
            discussion: """
                Output is canonical JSON (RFC 8785 ordering and escaping, UTF-8, one final newline), so equal \
                environments give byte-identical locks. pip, setuptools and wheel are not recorded.

                Examples:
                  modelseal env capture --python venv/bin/python -o env.lock.json
                  modelseal env capture --python ~/.pyenv/shims/python3   # shims are followed
                """)

        @Option(
            help: ArgumentHelp(
                "The interpreter (venv/bin/python) or environment folder (a venv or conda prefix). Default: $VIRTUAL_ENV, "
                    + "$CONDA_PREFIX, else python3 on PATH.", valueName: "PATH"))
        var python: String?

        @Option(
            name: .customLong("from"),
            help: ArgumentHelp(
                "Also record a conda spec: an environment.yml (`conda env export`) or an explicit spec "
                    + "(`conda list --explicit`).", valueName: "FILE"))
        var spec: String?

        @Option(
            name: .shortAndLong,
            help: ArgumentHelp("Write the lock to FILE (default: standard output).", valueName: "FILE"))
        var output: String?

        @Flag(name: .shortAndLong, help: "Replace FILE if it exists.")
        var force = false

        func run() throws {
            try reportingErrors {
                var condaSpec: EnvironmentLock.CondaSpec? = nil
                if let spec {
                    let bytes = try SmallFile.read(spec, limit: ExplicitSpec.maximumLength)
                    condaSpec =
                        ExplicitSpec.recognizes(bytes)
                        ? try ExplicitSpec.parse(bytes) : try EnvironmentYAML.parse(bytes)
                }
                let location = try PythonEnvironmentProbe.locate(
                    python, environment: ProcessEnvironment.values(of: ProcessEnvironment.probeVariables))
                let lock = try PythonEnvironmentProbe.capture(location, spec: condaSpec)
                let bytes = lock.canonicalBytes() + [0x0A]
                guard let output, output != "-" else {
                    Terminal.writeOutput(String(decoding: bytes, as: UTF8.self))
                    return
                }
                let sink = try OutputFile(.path(output), mode: 0o644, replace: force)
                try sink.write(contentsOf: bytes)
                try sink.commit()
                Terminal.writeError(
                    "captured \(lock.python.implementation) \(lock.python.version) on \(lock.platform), "
                        + "\(lock.distributions.count) distributions"
                        + (lock.torch.map { ", torch \($0.version)" + ($0.cuda.map { " (CUDA \($0))" } ?? " (CPU)") }
                            ?? "")
                        + (lock.conda.map { ", \($0.packages.count) conda packages" } ?? "") + ": \(output)")
            }
        }
    }

    /// `modelseal env check`.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Check a Python environment against a contract: a sealed file's, or a lock file's.",
            discussion: """
                Prints a readable diff (- missing, + extra, ~ different version, ! platform). Exits 40 when the \
                policy forbids a difference, 41 when the contract is for another platform, 0 otherwise (also under \
                the warn policy, which only reports).

                Examples:
                  modelseal env check --contract model.mseal --trust vendor.key.pub \\
                      --python venv/bin/python
                  modelseal env check --contract env.lock.json --policy exact --json
                """)

        @Option(
            help: ArgumentHelp(
                "A sealed file (its embedded contract) or a lock file from `env capture`.", valueName: "FILE"))
        var contract: String

        @Option(
            help: ArgumentHelp(
                "The interpreter or environment folder to check (default: the active one, as for capture).",
                valueName: "PATH"))
        var python: String?

        @Option(
            help: ArgumentHelp(
                "Policy for a lock file (a sealed file carries its own): pinned (default), exact, compatible or warn.",
                valueName: "POLICY"))
        var policy: String?

        @Option(
            name: .customLong("trust"),
            help: ArgumentHelp(
                "For a sealed file: require a valid signature by a key in FILE over its header, so the contract is the "
                    + "vendor's. Repeatable.", valueName: "FILE"))
        var trustFiles: [String] = []

        @Flag(help: "Print a JSON report on standard output.")
        var json = false

        func validate() throws {
            if let policy, ContractPolicy(name: policy) == nil {
                throw ValidationError("unknown --policy '\(policy)': use \(ContractPolicy.names)")
            }
        }

        func run() throws {
            try reportingErrors(json: json) {
                let (contract, source) = try loadContract()
                let location = try PythonEnvironmentProbe.locate(
                    python, environment: ProcessEnvironment.values(of: ProcessEnvironment.probeVariables))
                let here = try PythonEnvironmentProbe.capture(location)
                let report = ContractCheck.report(contract, against: here)
                if json {
                    try JSONOutput.print(
                        EnvironmentCheckReport(
                            contract: self.contract, source: source, policy: contract.policy.description,
                            satisfied: report.isSatisfied,
                            differences: report.differences.map {
                                .init(
                                    kind: $0.kind.rawValue, name: $0.name, expected: $0.expected, actual: $0.actual,
                                    fatal: $0.fatal)
                            }))
                } else if report.isSatisfied {
                    Terminal.writeOutput(report.rendered + "\n")
                }
                _ = try ContractCheck.enforce(contract, against: here)
            }
        }

        /// The contract and where it came from ("sealed file, signed by …", "sealed file (unverified)", "lock file").
        func loadContract() throws -> (EnvironmentContract, String) {
            if (SmallFile.prefix(contract, limit: 8)?.bytes ?? []) == SealedFormat.magic {
                let file = try SealedFile(try InputFile(path: contract))
                // The signature first: a forged header is "invalid signature", whatever it says.
                var source = "sealed file (unverified)"
                if !trustFiles.isEmpty {
                    let trusted = try SigningKeys.trustKeys(paths: trustFiles)
                    let signers = try FileSignatures.verify(
                        file, trailer: file.trailer, leafHashes: nil, trustedKeys: trusted, requiredKeyIDs: [])
                    source =
                        "sealed file, signed by "
                        + signers.filter(\.trusted).map(\.key.fingerprint).joined(separator: ", ")
                }
                guard let found = try EnvironmentContracts.contract(of: file) else {
                    throw CLIError(
                        .malformedContract, "\(contract) carries no environment contract (seal it with --env)")
                }
                if trustFiles.isEmpty {
                    Terminal.writeError(
                        "note: the contract was read from an unverified header; give --trust vendor.pub to check the "
                            + "vendor's signature over it")
                }
                return (found, source)
            }
            if !trustFiles.isEmpty {
                throw CLIError(.usage, "--trust applies to sealed files; a lock file carries no signature")
            }
            let lock = try EnvironmentLock.parse(
                try SmallFile.read(contract, limit: EnvironmentLock.maximumEncodedLength))
            return (
                try EnvironmentContract(policy: policy.flatMap(ContractPolicy.init(name:)) ?? .default, lock: lock),
                "lock file"
            )
        }
    }
}

/// `env check --json` output (schema version 1).
struct EnvironmentCheckReport: Encodable {
    struct Difference: Encodable {
        let kind: String
        let name: String
        let expected: String?
        let actual: String?
        let fatal: Bool
    }
    var schema = 1
    let contract: String
    let source: String
    let policy: String
    let satisfied: Bool
    let differences: [Difference]
}
