import ArgumentParser

/// The `modelseal` command. (Branch `formats`: minimal root; the lead's root replaces it at merge.)
@main
struct ModelSeal: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "modelseal",
        abstract: "Ship PyTorch models safely: inspect, convert, seal.",
        subcommands: [Inspect.self, Convert.self]
    )
}
