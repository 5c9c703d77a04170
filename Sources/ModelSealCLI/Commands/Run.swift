import ArgumentParser
import ContainerEngine
import ModelSealCore
import ModelSealKeys
import ModelSealKit

#if canImport(Glibc)
    import Glibc
#endif

extension ModelSeal {
    /// `modelseal run`: decrypt a model into a sealed in-memory file and run a program that opens it.
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract:
                "Run a program with the decrypted model in a sealed in-memory file; modelseal writes nothing to disk.",
            discussion: """
                The model is decrypted (every chunk authenticated) into a memfd sealed against writes, growth \
                and shrinking, which the program inherits as an open descriptor. Its path /proc/self/fd/N is \
                put in the variable named by --env (MODELSEAL_MODEL by default), so an unmodified program can \
                `torch.load(os.environ["MODELSEAL_MODEL"], weights_only=True)`. Then modelseal replaces itself \
                with the program (exec): same process id, signals and exit status go straight to it.

                The program gets neither the key variables (every --key-env and --passphrase-env variable and \
                MODEL_KEY are removed from its environment) nor core dumps (RLIMIT_CORE is set to 0, hard limit \
                too). modelseal writes the plaintext to RAM only (it can still reach swap unless swap is off or \
                encrypted), but this is not a memory-only load: the program gets the whole model and can copy it \
                anywhere, including to disk, and root can read process memory. With --license, the license must \
                grant `run` (`license issue --allow-run`); a license without it, --memory-only or not, refuses.

                A model sealed with an environment contract (`seal --env`) is checked first, as `env check` \
                does, against the Python environment given by --python (default: the active one: \
                $VIRTUAL_ENV, $CONDA_PREFIX, else python3 on PATH): when its policy forbids a difference, \
                nothing is decrypted and modelseal exits 40 (41 for another platform) with the diff.

                Examples:
                  modelseal run --model model.mseal --key-env MODEL_KEY -- python serve.py
                  modelseal run --model model.mseal -i customer.key --env WEIGHTS \\
                      -- python serve.py --port 8000
                """)

        @OptionGroup(title: "Keys (all are tried)") var identities: IdentityOptions

        @OptionGroup(title: "Signatures (checked before any plaintext is released)") var trust: TrustOptions

        @Option(
            name: .customLong("license"),
            help: ArgumentHelp(
                "Open with a machine-bound license instead of a key; it must grant `run` (docs/LICENSING.md).",
                valueName: "FILE"))
        var license: String?

        @Option(
            help: ArgumentHelp(
                "Get the file's key from the vendor's key server this machine activated with (`modelseal activate`; "
                    + "docs/SERVER.md).", valueName: "URL"))
        var server: String?

        @Option(help: ArgumentHelp("The sealed model to decrypt.", valueName: "FILE"))
        var model: String

        @Option(
            name: .customLong("env"),
            help: ArgumentHelp(
                "The variable that carries the model's path to the program.", valueName: "NAME"))
        var variable = "MODELSEAL_MODEL"

        @Option(
            help: ArgumentHelp(
                "The Python environment (interpreter or folder) the program runs in, checked against the model's "
                    + "environment contract. Default: the active one, as for `env check`.", valueName: "PATH"))
        var python: String?

        @Argument(
            parsing: .postTerminator,
            help: ArgumentHelp(
                "The program and its arguments, after --.",
                valueName: "COMMAND"))
        var command: [String] = []

        /// Variables removed from the program's environment besides the key options' own.
        static let keyVariables = ["MODEL_KEY"]

        func validate() throws {
            if identities.isEmpty && license == nil && server == nil {
                throw ValidationError(
                    "no key: give --key-env, --key-file, -i, --passphrase, --passphrase-env, --license or --server")
            }
            if server != nil && (!identities.isEmpty || license != nil) {
                throw ValidationError("--server gives the key: drop the other key options and --license")
            }
            if !identities.isEmpty && license != nil {
                throw ValidationError("--license is the key: drop the other key options")
            }
            if command.isEmpty { throw ValidationError("no program: give it after --, e.g. -- python serve.py") }
            let valid =
                !variable.isEmpty && variable.utf8.allSatisfy { $0 == UInt8(ascii: "_") || isalnum(Int32($0)) != 0 }
                && !(variable.utf8.first.map { isdigit(Int32($0)) != 0 } ?? true)
            if !valid { throw ValidationError("--env \(variable): not a variable name") }
        }

        func run() throws {
            try reportingErrors { try execute() }
        }

        private func execute() throws {
            // Same checks as `open`: license and guards, header, signatures, trust; then every chunk.
            identities.applyPermissionPolicy()
            let source = try InputFile(path: model)
            let keys: [Identity] =
                if let server { [try ServerKeyRelease.identity(server: server, source: source)] } else {
                    license == nil ? try identities.resolve() : []
                }
            var opener = ModelOpener(identities: keys)
            opener.trustedKeys = try trust.keysForOpening()
            opener.detachedSignature = try trust.signature.map { Array(try KeyFiles.read($0)) }
            opener.license = try license.map { try LicenseGate(path: $0, use: .run) }
            let prepared = try opener.prepare(source)
            for warning in prepared.licenseWarnings {
                Terminal.writeError("modelseal: warning: runtime guard: \(warning)")
            }
            // The header MAC (and any signature) has authenticated the contract: enforce it before decrypting.
            if let contract = try EnvironmentContracts.contract(of: prepared.file) {
                let report = try EnvironmentContracts.check(contract, python: python)
                if !report.differences.isEmpty {
                    Terminal.writeError("modelseal: note: the environment differs from the model's contract:")
                    Terminal.writeError(report.rendered)
                }
            }
            let descriptor = try MemoryFile.create(
                name: "modelseal:" + Paths.baseName(model), size: prepared.plaintextLength, inheritable: true
            ) { buffer in try prepared.decrypt(into: buffer) }
            var removed = Self.keyVariables + identities.keyEnvironment
            if let name = identities.passphraseEnvironment { removed.append(name) }
            for name in removed { unsetenv(name) }
            setenv(variable, "/proc/self/fd/\(descriptor)", 1)
            var noCore = rlimit(rlim_cur: 0, rlim_max: 0)
            guard setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &noCore) == 0 else {
                throw CLIError(.internalError, "cannot turn core dumps off: \(IOError.text(of: errno))")
            }
            try exec(command)
        }

        /// Replaces this process with `command` (searched in PATH); returns only by throwing.
        private func exec(_ command: [String]) throws -> Never {
            let arguments = command.map { strdup($0) } + [nil]
            execvp(command[0], arguments)
            let reason = IOError.text(of: errno)
            throw CLIError(.inputError, "cannot run \(command[0]): \(reason)")
        }
    }
}
