import ArgumentParser
import ContainerEngine
import ContainerFormat
import ModelSealBundle
import ModelSealCore
import ModelSealEnvironment
import ModelSealKit

extension ModelSeal {
    /// `modelseal pack`: one delivery file for a customer.
    struct Pack: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pack",
            abstract: "Bundle sealed models, signatures, the environment contract and a customer README into one file.",
            discussion: """
                The bundle (.mspkg, spec/BUNDLE.md) starts with a manifest of every member's name, size and SHA-256, \
                signed with --sign-key; `modelseal verify` checks it without unpacking and `modelseal unpack` writes \
                nothing unless every member matches. The contract is taken from the first sealed model that carries \
                one (or --contract). Machine-bound licenses are issued after the customer's request and travel \
                separately; the generated README explains the activation step.

                Example:
                  modelseal pack -o acme.mspkg --sign-key vendor.key \\
                      --environment environment.yml \\
                      --conda-pack prod-env.tar.gz --customer "ACME Clinic" model.mseal
                """)

        @Argument(help: ArgumentHelp("Sealed model files (.mseal) to deliver.", valueName: "MODEL"))
        var models: [String]

        @Option(
            name: .shortAndLong,
            help: ArgumentHelp("The bundle to write (created only when complete).", valueName: "FILE"))
        var output: String

        @OptionGroup(title: "Signing (spec/BUNDLE.md §4)") var signing: SigningKeyOptions

        @Option(
            name: .customLong("signature"),
            help: ArgumentHelp(
                "A detached signature file of a model (from `modelseal sign --signature`). Repeatable.",
                valueName: "FILE"))
        var signatures: [String] = []

        @Option(
            help: ArgumentHelp(
                "The environment lock (default: extracted from the first model's contract).", valueName: "FILE"))
        var contract: String?

        @Option(
            help: ArgumentHelp(
                "An environment.yml or explicit spec for the customer to recreate the environment.", valueName: "FILE"))
        var environment: String?

        @Option(
            name: .customLong("conda-pack"),
            help: ArgumentHelp("A `conda pack` archive of the environment.", valueName: "FILE"))
        var condaPack: String?

        @Option(
            help: ArgumentHelp(
                "A license file to include (one that is not machine-bound). Repeatable.", valueName: "FILE"))
        var license: [String] = []

        @Option(help: ArgumentHelp("Use FILE as the README instead of the generated one.", valueName: "FILE"))
        var readme: String?

        @Option(help: ArgumentHelp("The customer's name, for the generated README.", valueName: "NAME"))
        var customer: String?

        @Flag(help: "Allow an unsigned bundle (without --sign-key).")
        var unsigned = false

        @Flag(name: .shortAndLong, help: "Replace FILE if it exists.")
        var force = false

        func validate() throws {
            if models.isEmpty { throw ValidationError("give at least one sealed model") }
            if signing.signKey == nil && !unsigned {
                throw ValidationError("a bundle is signed: give --sign-key FILE (or --unsigned for a test bundle)")
            }
        }

        func run() throws {
            try reportingErrors { try execute() }
        }

        private func execute() throws {
            let signer = try signing.resolve()
            var inputs: [BundleWriter.Input] = []
            var contractLock: [UInt8]? = nil
            var modelNames: [String] = []
            for model in models {
                guard (SmallFile.prefix(model, limit: 8)?.bytes ?? []) == SealedFormat.magic else {
                    throw CLIError(
                        .inputError,
                        "\(model) is not a sealed file: seal it first (a bundle never carries plaintext models)")
                }
                let name = "models/" + Paths.baseName(model)
                modelNames.append(name)
                inputs.append(.init(name: name, role: .model, source: .file(model)))
                if contractLock == nil, contract == nil,
                    let found = try EnvironmentContracts.contract(of: try SealedFile(try InputFile(path: model)))
                {
                    contractLock = found.lock.canonicalBytes() + [0x0A]
                }
            }
            for signature in signatures {
                inputs.append(
                    .init(name: "models/" + Paths.baseName(signature), role: .signature, source: .file(signature)))
            }
            if let contract {
                let bytes = try SmallFile.read(contract, limit: EnvironmentLock.maximumEncodedLength)
                contractLock = try EnvironmentLock.parse(bytes).canonicalBytes() + [0x0A]
            }
            if let contractLock {
                inputs.append(.init(name: "environment/env.lock.json", role: .contract, source: .bytes(contractLock)))
            }
            if let environment {
                inputs.append(
                    .init(
                        name: "environment/" + Paths.baseName(environment), role: .environment,
                        source: .file(environment)))
            }
            if let condaPack {
                inputs.append(
                    .init(name: "environment/" + Paths.baseName(condaPack), role: .condaPack, source: .file(condaPack)))
            }
            for file in license {
                inputs.append(.init(name: "license/" + Paths.baseName(file), role: .license, source: .file(file)))
            }
            let readmeBytes: [UInt8] =
                try readme.map { try SmallFile.read($0, limit: 1 << 20) }
                ?? Array(
                    CustomerReadme.text(
                        customer: customer, inputs: inputs, signer: signer?.key.verifyingKey.fingerprint,
                        hasContract: contractLock != nil, bundle: Paths.baseName(output)
                    ).utf8)
            inputs.insert(.init(name: "README.txt", role: .readme, source: .bytes(readmeBytes)), at: 0)
            let sink = try OutputFile(.path(output), mode: 0o644, replace: force)
            let clock = Stopwatch()
            let manifest = try BundleWriter.write(
                inputs, to: sink, createdBy: "modelseal \(ModelSeal.version)",
                signers: signer.map { [($0.key, $0.algorithm)] } ?? [])
            try sink.commit()
            let seconds = clock.elapsed
            Terminal.writeError(
                "packed \(manifest.members.count) members (\(manifest.totalSize) bytes)"
                    + (signer.map { ", signed by \($0.key.verifyingKey.fingerprint)" } ?? ", UNSIGNED")
                    + ": \(output) (\(throughput(bytes: manifest.totalSize, seconds: seconds)))")
        }
    }
}

/// The README generated into every bundle: what is inside and what the customer does, in order.
enum CustomerReadme {
    /// The vendor's public key file as `modelseal keygen --sign -o vendor.key` names it.
    static let trustFile = "vendor.key.pub"

    /// The README for a bundle delivered as `bundle` (its file name).
    static func text(
        customer: String?, inputs: [BundleWriter.Input], signer: String?, hasContract: Bool, bundle: String
    ) -> String {
        let trust = trustFile
        let models = inputs.filter { $0.role == .model }.map(\.name)
        let environment = inputs.first { $0.role == .environment }?.name
        let condaPack = inputs.first { $0.role == .condaPack }?.name
        var lines: [String] = []
        lines.append("ModelSeal delivery" + (customer.map { " for \($0)" } ?? ""))
        lines.append(String(repeating: "=", count: lines[0].count))
        lines.append("")
        lines.append("Contents:")
        for input in inputs { lines.append("  \(input.name)  (\(input.role.rawValue))") }
        lines.append("")
        lines.append(
            "1. Verify the bundle before anything else (no key needed). Your vendor's signing key fingerprint is")
        lines.append(
            "   \(signer ?? "(this bundle is UNSIGNED)"); compare it with the one your vendor gave you out of band.")
        lines.append("   Your vendor sent the public key as \(trust) (any name works: give that file to --trust).")
        lines.append("     modelseal verify --trust \(trust) \(bundle)")
        lines.append(
            "2. Unpack it into a new folder (nothing is written unless every member matches the signed manifest):")
        lines.append("     modelseal unpack --trust \(trust) -o delivery \(bundle)")
        lines.append("3. Recreate the environment the model was tested in:")
        if let condaPack {
            lines.append(
                "     mkdir -p env && tar -xzf delivery/\(condaPack) -C env && source env/bin/activate && conda-unpack")
        }
        if let environment {
            lines.append("     conda env create -f delivery/\(environment)   (needs network access to the channels)")
        }
        if condaPack == nil && environment == nil {
            lines.append("     (see delivery/environment/env.lock.json for the exact versions)")
        }
        if hasContract {
            lines.append("4. Check it against the model's environment contract (signed by the vendor):")
            for model in models {
                lines.append(
                    "     modelseal env check --contract delivery/\(model) --trust \(trust) --python env/bin/python")
            }
            lines.append(
                "   Differences are listed as - missing, + extra, ~ different version; the model's policy decides.")
        }
        lines.append(
            "5. Licenses: a license bound to your machine is issued after you send your activation request to the")
        lines.append(
            "   vendor; it travels separately from this bundle. Keep your key or license where the loader expects it.")
        lines.append(
            "6. Load the model in Python with modelseal.load(...) (it checks the environment contract again), or")
        lines.append(
            "   decrypt in memory: modelseal open -i customer.key -o - delivery/\(models.first ?? "models/model.mseal")"
        )
        lines.append("")
        return lines.joined(separator: "\n")
    }
}
