import ArgumentParser
import ModelSealCore
import ModelSealLicensing
import ModelSealServerClient

extension ModelSeal {
    /// `modelseal heartbeat`: renew (or free) this machine's floating seat.
    struct Heartbeat: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "heartbeat",
            abstract: "Renew or free (--check-in) a floating key-server seat.",
            discussion: """
                A floating license lets at most max-machines machines hold a live seat; a release takes one for \
                the license's lease TTL. `modelseal run --server` replaces itself with the program, so a long \
                run renews the seat with this command (from the program or a timer) and frees it on exit with \
                --check-in; a seat that is not renewed frees itself when its TTL runs out (docs/SERVER.md).

                Examples:
                  modelseal heartbeat --server http://127.0.0.1:8443
                  modelseal heartbeat --server http://127.0.0.1:8443 --check-in
                """)

        @Option(help: ArgumentHelp("The key server this machine activated with.", valueName: "URL"))
        var server: String

        @Flag(help: "Free the seat now instead of renewing it.")
        var checkIn = false

        func run() throws {
            try reportingErrors {
                do throws(ServerClientError) {
                    let url = try ServerURL(server)
                    if checkIn {
                        try MachineCall.checkIn(url: url, directory: .fromEnvironment(), now: LicenseClock.now())
                        Terminal.writeError("seat freed at \(server)")
                    } else if let end = try MachineCall.heartbeat(
                        url: url, directory: .fromEnvironment(), now: LicenseClock.now())
                    {
                        Terminal.writeOutput("seat_expires_at=\(end) (\(LicenseTime.format(end)))\n")
                    } else {
                        Terminal.writeOutput("node-locked license: no seat to renew\n")
                    }
                } catch {
                    throw ServerKeyRelease.cliError(error)
                }
            }
        }
    }
}
