import ArgumentParser

/// Signature checks for opening and verifying.
struct TrustOptions: ParsableArguments {
    @Option(
        name: .customLong("trust"),
        help: ArgumentHelp(
            "Require a valid signature by a key in FILE (PEM public keys and/or OpenSSH lines). Repeatable.",
            valueName: "FILE"))
    var trustFiles: [String] = []

    @Option(
        name: .customLong("signature"),
        help: ArgumentHelp(
            "A detached signature (from `modelseal sign --signature`) for a file without its own.", valueName: "FILE"))
    var signature: String?
}
