import ArgumentParser
import ContainerEngine
import ModelSealAttestation
import ModelSealCore
import ModelSealKeys
import ModelSealKit
import ModelSealLicensing
import ModelSealSigning

extension ModelSeal {
    /// `modelseal license`: offline activation by request and license files.
    struct License: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "license",
            abstract: "Machine-bound licenses: request (customer), issue (vendor), show.",
            discussion: """
                Offline activation (docs/LICENSING.md):
                  customer: modelseal license request --vendor vendor.key.pub -o req.json
                  vendor:   modelseal license issue --request req.json --model m.mseal \\
                              --key-env MODEL_KEY --customer ACME --expires 2027-12-31 \\
                              --sign-key vendor.key -o acme.lic
                  customer: modelseal open --license acme.lic -o model.pt m.mseal
                """,
            subcommands: [Request.self, Issue.self, Show.self])
    }
}

extension ModelSeal.License {
    /// `modelseal license request`: make this machine's key for a vendor and the request file.
    struct Request: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "request",
            abstract: "Make this machine's license key for a vendor and write the request to send them.",
            discussion: """
                Generates an X25519 key pair for the vendor whose public signing key is --vendor. The private half \
                stays in this machine's licensing folder ($MODELSEAL_LICENSE_DIR, else \
                ~/.local/share/modelseal/licensing), encrypted under a key that only enough of this machine's \
                fingerprint components release (all but --tolerance of them). The request holds the public key and \
                salted hashes of the components, each stretched with scrypt first: no raw identifier leaves the \
                machine, and checking a guessed value costs about 25 ms.

                The binding is software only, and advisory against a determined licensee: a copy of the licensing \
                folder on another machine that spoofs these components (a mount namespace over /proc and /sys) opens \
                the model (SECURITY.md).

                With a TPM 2.0 (--tpm; the default when $MODELSEAL_TPM_TCTI is set or /dev/tpmrm0 or /dev/tpm0 exists), the \
                machine key is a non-exportable P-256 key made inside the TPM instead: a copy of the licensing folder \
                opens nothing on another machine, and a TPM clear loses the key (make a new request then). \
                MODELSEAL_TPM_TCTI names the TPM as a TCTI string, e.g. swtpm:path=/run/swtpm.sock or \
                device:/dev/tpmrm0. --no-tpm makes a software key even where a TPM is present. The request then \
                also carries the TPM's endorsement-key (EK) certificate, read from NV index 0x01c00002, and the \
                machine key's public area, so the vendor can prove the key is in that TPM (`license issue \
                --require-tpm --ek-ca`); a TPM without an EK certificate in NV still binds, unattested.

                A second request for the same vendor is refused unless --new: a new machine key makes every license \
                issued to the old one stop working on this machine (use it after a hardware change).

                Examples:
                  modelseal license request --vendor vendor.key.pub -o req.json
                  MODELSEAL_TPM_TCTI=swtpm:path=/run/swtpm.sock \\
                      modelseal license request --tpm --vendor vendor.key.pub -o req.json
                  modelseal license request --vendor vendor.key.pub --label gpu-node-3 \\
                      --new -o req.json
                """)

        @Option(
            help: ArgumentHelp("The vendor's public signing key (licenses must be signed by it).", valueName: "FILE"))
        var vendor: String

        @Option(
            name: .shortAndLong,
            help: ArgumentHelp("Write the request to FILE (- for standard output).", valueName: "FILE"))
        var output: String

        @Option(help: "How many fingerprint components may change before this machine key no longer opens.")
        var tolerance = 1

        @Option(help: ArgumentHelp("A label for the vendor (host name, site); sent as is.", valueName: "TEXT"))
        var label = ""

        @Flag(help: "Replace this machine's existing key for the vendor (licenses issued to it stop working here).")
        var new = false

        @Flag(
            name: .customLong("tpm"), inversion: .prefixedNo,
            help: "Make the machine key in the TPM (default: when one is present; --no-tpm: a software key).")
        var tpm: Bool?

        @Flag(name: .shortAndLong, help: "Replace FILE if it exists.")
        var force = false

        func validate() throws {
            if tolerance < 0 { throw ValidationError("--tolerance must be 0 or more") }
            if label.utf8.count > 256 { throw ValidationError("--label is at most 256 bytes") }
        }

        func run() throws {
            try reportingErrors { try execute() }
        }

        private func execute() throws {
            let key = try vendorKey(path: vendor)
            let directory = LicensingDirectory.fromEnvironment()
            if directory.hasMachineIdentity(vendorKeyID: key.keyID) && !new {
                // A usage error (64), not "output exists" (17): no output file is involved, the command needs --new.
                throw CLIError(
                    .usage,
                    "this machine already has a license key for vendor \(key.fingerprint) in \(directory.vendorPath(key.keyID)); "
                        + "licenses issued to it keep working. Pass --new to replace it (they then stop working here)")
            }
            let sink = try OutputFile(output == "-" ? .standardOutput : .path(output), mode: 0o644, replace: force)
            let retiredCounter = directory.tpmCounterIndex(vendorKeyID: key.keyID)
            let connection: TPMConnection?
            do {
                // Explicit --tpm: this TPM or an error; by default: the system's TPM when one answers.
                connection = try tpm == false ? nil : TPMConnection()
            } catch {
                guard tpm == nil else { throw LicenseError.tpm("\(error)") }
                connection = nil
            }
            let request: LicenseRequest
            do {
                request = try LicenseRequest.create(
                    vendorKeyID: key.keyID, tolerance: tolerance, label: label, directory: directory, tpm: connection)
            } catch let error as TPMError {
                throw LicenseError.tpm("\(error)")
            }
            try sink.write(contentsOf: request.encoded)
            try sink.commit()
            if let retiredCounter {
                Terminal.writeError(TPMMachineIdentity.releaseCounter(retiredCounter, connection: connection))
            }
            Terminal.writeError(
                "machine key for vendor \(key.fingerprint) stored in \(directory.vendorPath(key.keyID)); request with "
                    + "\(request.components.count) component(s) (\(request.components.map(\.name).joined(separator: ", "))), "
                    + "opens with \(request.threshold) of them: send \(output == "-" ? "it" : output) to the vendor. "
                    + (connection == nil
                        ? "Software binding: advisory against a licensee who copies the folder and spoofs the components"
                        : request.attestation == nil
                            ? "Machine key made in the TPM (kem p256-tpm); this TPM has no EK certificate at NV "
                                + "0x01c00002, so the vendor cannot attest it (without EK attestation the vendor must "
                                + "take that on trust)"
                            : "Machine key made in the TPM (kem p256-tpm); the request carries the TPM's EK "
                                + "certificate, so the vendor can attest it (license issue --require-tpm --ek-ca)"))
        }
    }

    /// `modelseal license issue`: the vendor signs a license for a request.
    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "issue",
            abstract: "Issue a signed license for a customer's request (vendor side).",
            discussion: """
                Opens each --model with the key options (to wrap its file key under the license key; nothing is \
                decrypted), wraps the license key to the machine of --request (its machine key and k of its \
                fingerprint components), and signs the license with --sign-key, which must be the key the customer \
                named with `license request --vendor`.

                Dates are UTC days: --expires 2027-12-31 is valid through 2027-12-31T23:59:59Z; --not-before starts at \
                00:00:00Z. Full times (2027-12-31T12:00:00Z) are accepted too.

                TPM attestation: with --require-tpm, the request's machine key must be proven to live in a TPM. \
                The request's EK certificate must chain to one of the --ek-ca certificates (PEM; self-signed ones \
                are roots, others intermediates: get them from the TPM maker, e.g. Infineon, STMicroelectronics, \
                Nuvoton, Intel, AMD), and its machine key must be a key that cannot leave a TPM (fixedTPM, \
                fixedParent, sensitiveDataOrigin). The license then carries a TPM2_MakeCredential blob for that EK \
                and key: its secret is part of the license key's wrapping, so the license opens only in the TPM of \
                that EK holding that key (exit 33 elsewhere, before anything is decrypted). Without --require-tpm a TPM request is accepted on the customer's word \
                (advisory, as software binding). --require-tpm without --ek-ca is refused.

                Later model versions: keep the license key (--license-key-out lk.key) and seal new files to it \
                (`modelseal seal --license-key lk.key ...`): they open with this license, no re-issue needed. Re-issue \
                for a new request (hardware change, transfer) with --license-key lk.key to keep that chain.

                Examples:
                  modelseal license issue --request req.json --model m.mseal \\
                      --key-env MODEL_KEY --customer ACME \\
                      --expires 2027-12-31 --sign-key vendor.key -o acme.lic
                  modelseal license issue --request req.json --model m.mseal -i vendor.id \\
                      --customer ACME \\
                      --max-loads 1000 --memory-only --guard tracer=deny \\
                      --license-key-out acme.lk \\
                      --sign-key vendor.key -o acme.lic
                  modelseal license issue --request req.json --model m.mseal \\
                      --key-env MODEL_KEY --customer ACME \\
                      --require-tpm --ek-ca infineon-root.pem --ek-ca infineon-ica.pem \\
                      --sign-key vendor.key -o acme.lic
                """)

        @Option(help: ArgumentHelp("The customer's request file (from `license request`).", valueName: "FILE"))
        var request: String

        @Option(
            name: .customLong("model"),
            help: ArgumentHelp("A sealed file the license covers. Repeatable.", valueName: "FILE"))
        var models: [String] = []

        @OptionGroup(title: "Keys that open the models") var identities: IdentityOptions

        @OptionGroup(title: "Vendor signing key (required)") var signing: SigningKeyOptions

        @Option(help: "The customer's name.")
        var customer: String

        @Option(
            help: ArgumentHelp(
                "Last valid UTC day (YYYY-MM-DD) or an exclusive UTC time; default: never expires.", valueName: "DATE"))
        var expires: String?

        @Option(
            name: .customLong("not-before"),
            help: ArgumentHelp("First valid UTC day (default: now).", valueName: "DATE"))
        var notBefore: String?

        @Option(
            name: .customLong("max-loads"),
            help: "Most loads on the machine (default: unlimited; counted offline, see docs).")
        var maxLoads: Int64?

        @Option(help: "Fingerprint components that must match (default: the request's own threshold).")
        var match: Int?

        @Flag(name: .customLong("memory-only"), help: "Allow only in-memory loads (Python), not `open -o`.")
        var memoryOnly = false

        @Flag(
            name: .customLong("allow-run"),
            help: "Allow `modelseal run` to hand the decrypted model to another program (it can then copy it anywhere)."
        )
        var allowRun = false

        @Option(
            name: .customLong("guard"),
            help: ArgumentHelp(
                "Runtime-guard policy KIND=ACTION, KIND tracer|preload|virtualization, ACTION deny|warn|allow (default warn). Repeatable.",
                valueName: "KIND=ACTION"))
        var guards: [String] = []

        @Option(
            name: .customLong("license-key"),
            help: ArgumentHelp(
                "Reuse this license key (32-byte base64url) instead of a new one.", valueName: "FILE"))
        var licenseKey: String?

        @Option(
            name: .customLong("license-key-out"),
            help: ArgumentHelp(
                "Write the new license key to FILE (mode 0600) to seal later versions to it.", valueName: "FILE"))
        var licenseKeyOut: String?

        @Flag(
            name: .customLong("require-tpm"),
            help: "Refuse the request unless its machine key is attested to be in a TPM (needs --ek-ca).")
        var requireTPM = false

        @Option(
            name: .customLong("ek-ca"),
            help: ArgumentHelp(
                "A CA certificate (PEM) that EK certificates must chain to: a TPM maker's root or intermediate. "
                    + "Repeatable.", valueName: "FILE"))
        var ekCAs: [String] = []

        @Option(name: .shortAndLong, help: ArgumentHelp("Write the license to FILE.", valueName: "FILE"))
        var output: String

        @Flag(name: .shortAndLong, help: "Replace FILE if it exists.")
        var force = false

        func validate() throws {
            if signing.signKey == nil { throw ValidationError("a license must be signed: give --sign-key FILE") }
            if requireTPM && ekCAs.isEmpty {
                throw ValidationError(
                    "--require-tpm needs --ek-ca FILE: attestation checks the request's EK certificate against the CAs "
                        + "you trust (the TPM makers' root certificates, docs/LICENSING.md)")
            }
            if !requireTPM && !ekCAs.isEmpty { throw ValidationError("--ek-ca is only used with --require-tpm") }
            if models.isEmpty && licenseKey == nil && licenseKeyOut == nil {
                throw ValidationError(
                    "the license covers nothing: give --model FILE, or --license-key-out/--license-key for files sealed to it"
                )
            }
            if !models.isEmpty && identities.isEmpty {
                throw ValidationError("give a key that opens the models (--key-env, --key-file, -i, --passphrase...)")
            }
            if licenseKey != nil && licenseKeyOut != nil {
                throw ValidationError("--license-key reuses a key: drop --license-key-out")
            }
            if let maxLoads, maxLoads < 1 { throw ValidationError("--max-loads must be at least 1") }
            if let expires, LicenseTime.parse(expires) == nil {
                throw ValidationError("--expires: use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)")
            }
            if let notBefore, LicenseTime.parse(notBefore) == nil {
                throw ValidationError("--not-before: use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)")
            }
            if let end = expiresAt {
                // The end is exclusive: a day is valid through its last second, so 2020-01-01 ends at 2020-01-02T00:00:00Z.
                if end <= LicenseClock.now() {
                    throw ValidationError(
                        "--expires \(expires ?? ""): that is in the past (the license would be valid through "
                            + "\(LicenseTime.format(end - 1)) UTC only): give a later date")
                }
                if let start = notBefore.flatMap(LicenseTime.parse), start >= end {
                    throw ValidationError("--not-before \(notBefore ?? "") is not before --expires \(expires ?? "")")
                }
            }
            _ = try policy()
        }

        /// The exclusive end of validity: the day after a `YYYY-MM-DD`, or the exact time given.
        var expiresAt: Int64? {
            guard let expires, let time = LicenseTime.parse(expires) else { return nil }
            return expires.count == 10 ? time + 86_400 : time
        }

        func policy() throws -> GuardPolicy {
            var policy = GuardPolicy()
            for entry in guards {
                let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let action = GuardAction(rawValue: parts[1]) else {
                    throw ValidationError("--guard \(entry): use KIND=deny|warn|allow")
                }
                switch parts[0] {
                case "tracer": policy.tracer = action
                case "preload": policy.preload = action
                case "virtualization": policy.virtualization = action
                default: throw ValidationError("--guard \(entry): KIND is tracer, preload or virtualization")
                }
            }
            return policy
        }

        func run() throws {
            try reportingErrors { try execute() }
        }

        private func execute() throws {
            let request = try LicenseRequest(encoded: try KeyFiles.read(self.request))
            guard let (key, algorithm) = try signing.resolve() else { return }
            var terms = LicenseTerms(customer: customer)
            terms.notBefore = notBefore.flatMap(LicenseTime.parse)
            terms.expiresAt = expiresAt
            terms.maxLoads = maxLoads
            terms.match = match
            terms.features.fileOutput = !memoryOnly
            terms.features.run = allowRun
            terms.guards = try policy()
            let licenseKey =
                try licenseKey.map { try LicenseKey(bytes: try KeyFiles.rawKey(file: $0).bytes) }
                ?? LicenseKey.generate()
            var unlocked: [(file: UnlockedFile, name: String)] = []
            if !models.isEmpty {
                let keys = try identities.resolve()
                for path in models {
                    unlocked.append(
                        (try SealedFile(try InputFile(path: path)).unlock(with: keys), Paths.baseName(path)))
                }
            }
            let attested = try requireTPM ? attest(request) : nil
            let keyOut = try licenseKeyOut.map { try OutputFile(.path($0), mode: 0o600, replace: force) }
            let sink = try OutputFile(.path(output), mode: 0o644, replace: force)
            let signed = try LicenseIssuer.issue(
                request: request, models: unlocked, licenseKey: licenseKey, terms: terms, signingKey: key,
                algorithm: algorithm, attested: attested)
            try sink.write(contentsOf: signed.encoded)
            if let keyOut {
                try keyOut.write(
                    contentsOf: Array((RawKeyText.encode(try RawKey(bytes: licenseKey.bytes)) + "\n").utf8))
                try keyOut.commit()
            }
            try sink.commit()
            Terminal.writeError(
                "issued license \(signed.license.id) to \(customer) for \(unlocked.count) model(s), "
                    + "\(signed.license.machine.match) of \(request.components.count) components: \(output)")
            Terminal.writeError(
                attested != nil
                    ? "TPM attested: the request's EK certificate chains to --ek-ca and its machine key is a key that "
                        + "cannot leave a TPM; the license opens only in the TPM of that EK holding that key "
                        + "(TPM2_ActivateCredential; SECURITY.md)"
                    : request.kem == .p256TPM
                        ? "note: the request says its machine key is in a TPM (clones, restored state files and a clock set "
                            + "back after a counted load are refused there), but without endorsement-key attestation that "
                            + "is the customer's word: the binding is advisory against a forged request; "
                            + "--require-tpm --ek-ca CA.pem proves it (SECURITY.md)"
                        : "note: an offline license binds honest use only: a licensee can reset its load count and clock "
                            + "checks by restoring the licensing folder's files together with the license records kept "
                            + "outside it, and clone the machine's fingerprint in software; the machine binding is "
                            + "advisory (SECURITY.md)")
        }
    }

    /// `modelseal license show`: explain a license.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Explain a license: terms, signer, and how it stands on this machine.",
            discussion: """
                Verifies the vendor signature (the license's own key; `open` also requires it to be the vendor this \
                machine's request named), then prints the terms and, when this machine holds a key for the vendor, \
                whether the machine and its fingerprint match and how many loads were used. Nothing is counted.

                Examples:
                  modelseal license show acme.lic
                  modelseal license show --json acme.lic
                """)

        @Argument(help: ArgumentHelp("The license file.", valueName: "LICENSE"))
        var path: String

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            try reportingErrors(json: json) { try execute() }
        }

        private func execute() throws {
            let signed = try SignedLicense(encoded: try KeyFiles.read(path))
            let license = signed.license
            let status = LicenseValidator().status(of: signed)
            let report = LicenseReport(
                id: license.id, customer: license.customer, signer: signed.signer.fingerprint,
                algorithm: signed.algorithm.description, issuedAt: LicenseTime.format(license.issuedAt),
                notBefore: LicenseTime.format(license.notBefore), expiresAt: license.expiresAt.map(LicenseTime.format),
                models: license.models.map { .init(fileId: $0.fileID, name: $0.name) },
                components: license.machine.components.map(\.name), match: license.machine.match,
                maxLoads: license.maxLoads, fileOutput: license.features.fileOutput,
                guards: [
                    "tracer": license.guards.tracer.rawValue, "preload": license.guards.preload.rawValue,
                    "virtualization": license.guards.virtualization.rawValue,
                ],
                thisMachine: .init(
                    machineKeyPresent: status.machineKeyPresent, machineKeyMatches: status.machineKeyMatches,
                    matchingComponents: status.matchingComponents, differingComponents: status.differingComponents,
                    loadsUsed: status.loadsUsed, firstUse: status.firstUse.map(LicenseTime.format),
                    expirySeen: status.expirySeen.map(LicenseTime.format)),
                version: license.version, binding: status.binding, bindingLimit: status.bindingLimit)
            if json {
                try JSONOutput.print(report)
                return
            }
            let valid = report.expiresAt.map { "\($0) (exclusive)" } ?? "never expires"
            let models =
                license.models.isEmpty
                ? "none listed" : license.models.map { "\($0.name) (\($0.fileID))" }.joined(separator: ", ")
            let loads = license.maxLoads.map { "at most \($0)" } ?? "unlimited"
            let output = license.features.fileOutput ? "to files and pipes allowed (open -o)" : "in-memory loads only"
            let guards =
                "tracer \(license.guards.tracer.rawValue), preload \(license.guards.preload.rawValue), "
                + "virtualization \(license.guards.virtualization.rawValue)"
            let machine =
                "\(license.machine.match) of \(license.machine.components.count) components must match ("
                + report.components.joined(separator: ", ") + ")"
            var lines: [String] = []
            lines.append(
                "license \(license.id) (signature verified: \(signed.signer.fingerprint), \(signed.algorithm))")
            lines.append("  customer:    \(license.customer)")
            lines.append("  issued:      \(report.issuedAt)")
            lines.append("  valid:       from \(report.notBefore) until \(valid)")
            lines.append("  models:      \(models); plus files sealed to the license key")
            lines.append("  machine:     \(machine)")
            lines.append("  binding:     \(status.bindingLimit)")
            lines.append("  loads:       \(loads)")
            lines.append("  output:      \(output)")
            lines.append("  guards:      \(guards)")
            if !status.machineKeyPresent {
                lines.append("  this machine: no machine key for this vendor (the license was requested elsewhere)")
            } else if !status.machineKeyMatches {
                lines.append(
                    "  this machine: holds another machine key for this vendor: the license is for another machine")
            } else {
                let changed =
                    status.differingComponents.isEmpty
                    ? "" : " (changed: \(status.differingComponents.joined(separator: ", ")))"
                let used =
                    (status.loadsUsed.map { "; \($0) load(s) used" } ?? "")
                    + (status.firstUse.map { " since \(LicenseTime.format($0))" } ?? "")
                    + (status.expirySeen.map { "; seen expired at \(LicenseTime.format($0))" } ?? "")
                lines.append(
                    "  this machine: machine key matches; \(status.matchingComponents) components match, "
                        + "\(license.machine.match) needed\(changed)\(used)")
            }
            Terminal.writeOutput(lines.joined(separator: "\n") + "\n")
        }
    }
}

/// `license show --json` output (schema version 1).
struct LicenseReport: Encodable {
    struct Model: Encodable {
        let fileId: String
        let name: String
    }
    struct Machine: Encodable {
        let machineKeyPresent: Bool
        let machineKeyMatches: Bool
        let matchingComponents: Int
        let differingComponents: [String]
        let loadsUsed: Int64?
        let firstUse: String?
        let expirySeen: String?
    }
    var schema = 1
    let id: String
    let customer: String
    let signer: String
    let algorithm: String
    let issuedAt: String
    let notBefore: String
    let expiresAt: String?
    let models: [Model]
    let components: [String]
    let match: Int
    let maxLoads: Int64?
    let fileOutput: Bool
    let guards: [String: String]
    let thisMachine: Machine
    let version: Int
    /// `software`: what `bindingLimit` says a determined licensee can do anyway.
    let binding: String
    let bindingLimit: String
}

extension ModelSeal.License.Issue {
    /// The request's TPM attested against `--ek-ca` (`ModelSealAttestation`), or a refusal: exit 33 (the request
    /// is not shown to come from a TPM), 16 for a CA file that cannot be read or holds no certificate.
    func attest(_ request: LicenseRequest) throws -> AttestedCredential {
        var files: [(path: String, text: String)] = []
        for path in ekCAs {
            files.append((path, String(decoding: try SmallFile.read(path, limit: 1 << 20), as: UTF8.self)))
        }
        do {
            return try TPMAttestation.attest(request, anchors: try EKTrustAnchors(pemFiles: files))
        } catch .badCA(let reason) {
            throw CLIError(.inputError, AttestationError.badCA(reason).description)
        } catch {
            throw CLIError(.wrongMachine, error.description)
        }
    }
}
