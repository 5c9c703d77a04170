import ArgumentParser
import ContainerFormat
import ModelSealCore
import ModelSealKit
import ModelSealLicensing
import ModelSealSigning

extension ModelSeal {
    /// `modelseal machine`: facts about this machine that licensing uses.
    struct Machine: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "machine",
            abstract: "Show this machine's fingerprint (licenses bind to it).",
            discussion: """
                Licenses (docs/LICENSING.md) bind to salted hashes of this machine's components; this shows them.

                Examples:
                  modelseal machine fingerprint --vendor vendor.key.pub
                """,
            subcommands: [Fingerprint.self])
    }
}

extension ModelSeal.Machine {
    /// `modelseal machine fingerprint`: the components, salted hashes and stability notes.
    struct Fingerprint: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fingerprint",
            abstract: "List the fingerprint components of this machine, salted for a vendor.",
            discussion: """
                Components: machine-id, cpu, network (MACs of physical NICs), root-fs (UUID of the root file \
                system), disk (block device serials the kernel shows without root), dmi (system and board \
                vendor/name), dmi-serial (DMI serials and product UUID: usually readable by root only) and host-token \
                (a file the host mounts into containers: $MODELSEAL_HOST_TOKEN_FILE or /etc/modelseal/host-token). \
                Raw values are never printed: each is stretched with scrypt and shown as HMAC-SHA256 under a salt \
                derived from the vendor's public key (--vendor), or under an all-zero vendor id without it (the \
                hashes a version 2 license request carries). Runtime-guard findings (container, VM, tracer, preload) \
                are listed too, since they say which components to expect to be unstable.

                Examples:
                  modelseal machine fingerprint
                  modelseal machine fingerprint --vendor vendor.key.pub --json
                """)

        @Option(help: ArgumentHelp("The vendor's public signing key: hashes are salted for it.", valueName: "FILE"))
        var vendor: String?

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            try reportingErrors(json: json) { try execute() }
        }

        private func execute() throws {
            let vendorPublicKey: VerifyingKey? = try vendor.map { try vendorKey(path: $0) }
            let fingerprint = ModelSealLicensing.Fingerprint.current(vendorKeyID: vendorPublicKey?.keyID)
            let findings = RuntimeGuards.evaluate()
            if json {
                let components = fingerprint.components.map { component in
                    FingerprintReport.Component(
                        name: component.name, hash: Hex.encode(fingerprint.hash(of: component)),
                        stability: component.stability
                    )
                }
                let findingTexts: [String] = findings.map { $0.description }
                try JSONOutput.print(
                    FingerprintReport(
                        vendor: vendorPublicKey?.fingerprint, components: components, missing: fingerprint.missing,
                        runtimeFindings: findingTexts))
                return
            }
            Terminal.writeOutput(
                "vendor: \(vendorPublicKey?.fingerprint ?? "none (unsalted view; pass --vendor FILE)")\n")
            for component in fingerprint.components {
                Terminal.writeOutput("  \(component.name.padding(12)) \(Hex.encode(fingerprint.hash(of: component)))\n")
            }
            if !fingerprint.missing.isEmpty {
                Terminal.writeOutput("missing: \(fingerprint.missing.joined(separator: ", "))\n")
            }
            for finding in findings { Terminal.writeOutput("runtime: \(finding)\n") }
            if findings.contains(where: { $0.kind == .virtualization }) {
                Terminal.writeOutput(
                    "note: in containers and VMs, network, root-fs and machine-id are often missing or shared; mount a "
                        + "host token (docs/LICENSING.md)\n")
            }
        }
    }
}

/// `machine fingerprint --json` output (schema version 1).
struct FingerprintReport: Encodable {
    struct Component: Encodable {
        let name: String
        let hash: String
        let stability: String
    }
    var schema = 1
    let vendor: String?
    let components: [Component]
    let missing: [String]
    let runtimeFindings: [String]
}

/// The single public key in a vendor key file.
func vendorKey(path: String) throws -> VerifyingKey {
    let keys = try SigningKeys.trustKeys(paths: [path])
    guard keys.count == 1, let key = keys.first else {
        throw CLIError(.signingKeyError, "\(path) must hold exactly one public key (the vendor's), found \(keys.count)")
    }
    return key
}

extension String {
    func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}
