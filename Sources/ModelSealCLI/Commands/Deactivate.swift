import ArgumentParser
import ModelSealCore
import ModelSealLicensing
import ModelSealServerClient

extension ModelSeal {
    /// `modelseal deactivate`: give this machine's slot on a key server's license back.
    struct Deactivate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "deactivate",
            abstract: "Give this machine's key-server slot back.",
            discussion: """
                Tells the server, then removes this machine's activation and cached releases for that server. \
                The machine key stays in the licensing folder: activating this machine again later takes its \
                slot back. Another machine can take the slot only after the license's deactivation cooldown \
                (docs/SERVER.md §Policies).

                Example:
                  modelseal deactivate --server http://127.0.0.1:8443
                """)

        @Option(help: ArgumentHelp("The key server this machine activated with.", valueName: "URL"))
        var server: String

        func run() throws {
            try reportingErrors {
                do throws(ServerClientError) {
                    let machine = try MachineCall.deactivate(
                        url: try ServerURL(server), directory: .fromEnvironment(), now: LicenseClock.now())
                    Terminal.writeError("deactivated machine \(machine) at \(server)")
                } catch {
                    throw ServerKeyRelease.cliError(error)
                }
            }
        }
    }
}
