import ArgumentParser

/// The `modelseal` command.
@main
struct ModelSeal: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "modelseal",
        abstract: "Seal PyTorch models for delivery: streaming authenticated encryption, opened only in memory.",
        discussion: """
            A sealed file (.mseal) is encrypted for one or many recipients: a raw 32-byte key (the article's
            MODEL_KEY, Fernet-compatible text), a passphrase, or X25519 public keys made by `modelseal keygen`.
            Tampering, truncation and reordering are detected before any plaintext is released.

            Quick start:
              modelseal keygen -o customer.key            # prints the customer's recipient modelseal1...
              modelseal seal -r modelseal1... -o model.mseal model.pt
              modelseal open -i customer.key -o model.pt model.mseal
              modelseal demo                              # the whole flow on a sample model, with timings

            Exit codes:
            \(ExitStatus.table)
            """,
        version: version,
        subcommands: [Seal.self, Open.self, Keygen.self, Inspect.self, Rekey.self, Demo.self]
    )
}
