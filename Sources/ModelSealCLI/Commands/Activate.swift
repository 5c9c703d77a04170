import ArgumentParser
import ModelSealCore
import ModelSealLicensing
import ModelSealServerClient
import ModelSealServerProtocol

extension ModelSeal {
    /// `modelseal activate`: register this machine with the vendor's key server.
    struct Activate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "activate",
            abstract: "Register this machine with a vendor's key server.",
            discussion: """
                Makes this machine's key for that server (in the licensing folder, $MODELSEAL_LICENSE_DIR as for \
                `license request`) and a request-signing key sealed to it, registers both with the token, and pins \
                the server's key. Then `open --server URL` and `run --server URL` get each file's key from the \
                server. The token is read from a file, never from the command line. Activating the same machine \
                again takes no new machine slot (docs/SERVER.md).

                With a TPM 2.0 (--tpm; the default when $MODELSEAL_TPM_TCTI is set or /dev/tpmrm0 or /dev/tpm0 \
                exists and answers), the machine key is a non-exportable P-256 key made inside the TPM (HPKE \
                DHKEM(P-256), as `license request --tpm` makes) and the request-signing key a separate, restricted \
                ECDSA P-256 key in the same TPM; the licensing folder keeps only their public keys and the TPM \
                template values that name them, so a copy of it signs nothing and opens nothing without that TPM \
                (docs/SERVER.md §TPM). --no-tpm makes software keys (X25519 and Ed25519) even where a TPM is \
                present. A machine key made earlier is kept whatever its kind; asking for the other kind is refused.

                Over https:// the server's TLS key is pinned too (docs/SERVER.md §TLS): the one given with \
                --server-pin (from the vendor, out of band), else the one a certificate from --ca-file names the \
                host with, else the one the server presents now (trust on first use). Every later call must meet \
                that key, whatever CA signed it.

                Examples:
                  modelseal activate --server https://keys.example.com \\
                      --token-file acme.token --server-pin sha256:9f2c...
                  modelseal activate --server http://127.0.0.1:8443 --token-file acme.token
                  MODELSEAL_TPM_TCTI=swtpm:path=/run/swtpm.sock \\
                      modelseal activate --server URL --token-file acme.token --tpm
                """)

        @Option(help: ArgumentHelp("The key server.", valueName: "URL"))
        var server: String

        @Option(help: ArgumentHelp("File holding the license token (first line).", valueName: "FILE"))
        var tokenFile: String

        @Option(
            help: ArgumentHelp("A label the vendor sees for this machine (host name by default).", valueName: "TEXT"))
        var label: String?

        @Flag(
            name: .customLong("tpm"), inversion: .prefixedNo,
            help:
                "Make the machine and request-signing keys in the TPM (default: when one is present; --no-tpm: in software)."
        )
        var tpm: Bool?

        @OptionGroup(title: "TLS (https:// servers)") var tls: ServerTLSOptions

        func run() throws {
            try reportingErrors {
                let bytes = try SmallFile.read(tokenFile, limit: 4096)
                guard let token = String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline).first,
                    !token.isEmpty
                else { throw CLIError(.inputError, "\(tokenFile) holds no token") }
                do throws(ServerClientError) {
                    let activation = try ServerActivation.activate(
                        url: try ServerURL(server), token: String(token), label: label ?? Self.hostName(),
                        trust: try tls.trust(), directory: .fromEnvironment(), now: LicenseClock.now(), tpm: tpm)
                    Terminal.writeError(
                        "activated machine \(activation.machineID) on license \(activation.licenseID) at \(activation.url)"
                            + (activation.machineKEM == .p256
                                ? " (machine key and request-signing key in the TPM: P-256, ECDSA P-256"
                                    + (activation.attestedAt != nil
                                        ? "; the server attested the machine key with the TPM's EK certificate)"
                                        : "; not attested by the server)")
                                : " (software keys: X25519, Ed25519)"))
                } catch {
                    throw ServerKeyRelease.cliError(error)
                }
            }
        }

        static func hostName() -> String {
            let bytes = (try? SmallFile.read("/proc/sys/kernel/hostname", limit: 256)) ?? []
            return String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init)
                ?? ""
        }
    }
}

/// How an https:// key server's TLS key is trusted (docs/SERVER.md §TLS).
struct ServerTLSOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The server's TLS key as the vendor gives it (modelseal-server prints it on start).",
            valueName: "sha256:HEX"))
    var serverPin: String?

    @Option(
        help: ArgumentHelp(
            "PEM file of CA certificates: the server's certificate must chain to one and name its host.",
            valueName: "FILE"))
    var caFile: String?

    func trust() throws(ServerClientError) -> TLSTrust { try TLSTrust.choose(pin: serverPin, caFile: caFile) }
}
