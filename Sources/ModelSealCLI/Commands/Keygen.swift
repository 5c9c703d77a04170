import ArgumentParser
import ModelSealCrypto
import ModelSealKeys

extension ModelSeal {
    /// `modelseal keygen`: make identities (X25519) and raw keys.
    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate a customer identity (X25519) or a raw symmetric key.",
            discussion: """
                Without options, writes a new identity (secret key) and prints its recipient (public key) on
                standard output: give the recipient to the vendor, keep the identity file secret.

                Examples:
                  modelseal keygen -o customer.key > customer.pub   # identity to a file (mode 0600), recipient to stdout
                  modelseal keygen --symmetric                       # a raw key, Fernet-compatible base64url
                  export MODEL_KEY=$(modelseal keygen --symmetric)
                  modelseal keygen -y customer.key                   # the recipient of an existing identity
                """)

        @Option(name: .shortAndLong, help: ArgumentHelp("Write the secret to FILE (mode 0600, never overwritten).",
            valueName: "FILE"))
        var output: String?

        @Flag(help: "Generate a raw 32-byte key as base64url text (usable as MODEL_KEY and as a Fernet key).")
        var symmetric = false

        @Option(name: .customShort("y"), help: ArgumentHelp("Print the recipients of the identities in FILE.",
            valueName: "FILE"))
        var identityFile: String?

        func validate() throws {
            if identityFile != nil && (symmetric || output != nil) {
                throw ValidationError("-y only prints recipients: drop --symmetric and -o")
            }
        }

        func run() throws {
            try reportingErrors { try execute() }
        }

        private func execute() throws {
            if let identityFile {
                for identity in try KeyFiles.identities(file: identityFile) {
                    Terminal.writeOutput(KeyText.encode(identity.recipient) + "\n")
                }
                return
            }
            let secret: String
            var recipient: String? = nil
            if symmetric {
                secret = RawKeyText.encode(RawKey.generate()) + "\n"
            } else {
                let identity = X25519Identity.generate()
                secret = KeyFiles.identityFile(for: identity, created: utcTimestamp())
                recipient = KeyText.encode(identity.recipient)
            }
            guard let output else {
                Terminal.writeOutput(secret)
                if let recipient { Terminal.writeError("Public key (recipient): \(recipient)") }
                return
            }
            let file = try OutputFile(.path(output), mode: 0o600, replace: false)
            try file.write(contentsOf: Array(secret.utf8))
            try file.commit()
            if let recipient { Terminal.writeOutput(recipient + "\n") }
        }
    }
}
