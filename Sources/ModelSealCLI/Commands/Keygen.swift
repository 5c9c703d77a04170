import ArgumentParser
import ContainerEngine
import ModelSealCore
import ModelSealKeys
import ModelSealKit
import ModelSealSigning

extension ModelSeal {
    /// `modelseal keygen`: make identities (X25519) and raw keys.
    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "keygen",
            abstract: "Generate an X25519 identity or a raw symmetric key.",
            discussion: """
                Without options, writes a new identity (secret key) and prints its recipient (public key) on \
                standard output: give the recipient to the vendor, keep the identity file secret.

                Examples:
                  # identity to a file (mode 0600), recipient to standard output:
                  modelseal keygen -o customer.key > customer.pub
                  modelseal keygen --symmetric     # a raw key, Fernet-compatible base64url
                  export MODEL_KEY=$(modelseal keygen --symmetric)
                  modelseal keygen -y customer.key   # the recipient of an existing identity
                  # vendor.key and vendor.key.pub; prints the fingerprint:
                  modelseal keygen --sign -o vendor.key
                  modelseal keygen --sign --alg ecdsa-p256 --passphrase -o vendor.key
                  # the public key of a key on a PKCS#11 token (no PIN needed), for verifiers:
                  modelseal keygen --export-public 'pkcs11:object=release' -o v.pub
                """)

        @Option(
            name: .shortAndLong,
            help: ArgumentHelp(
                "Write the secret to FILE (mode 0600, never overwritten).",
                valueName: "FILE"))
        var output: String?

        @Flag(help: "Generate a raw 32-byte key as base64url text (usable as MODEL_KEY and as a Fernet key).")
        var symmetric = false

        @Option(
            name: .customShort("y"),
            help: ArgumentHelp(
                "Print the recipients of the identities in FILE.",
                valueName: "FILE"))
        var identityFile: String?

        @Flag(help: "Generate a signing key pair: FILE (private, PKCS#8 PEM) and FILE.pub; prints the fingerprint.")
        var sign = false

        @Option(
            help: ArgumentHelp(
                "With --sign: ed25519 (default), ecdsa-p256, ecdsa-p384, ecdsa-p521, rsa-pss, rsa-pkcs1v15.",
                valueName: "ALG"))
        var alg = "ed25519"

        @Option(name: .customLong("rsa-bits"), help: "With --sign and an RSA algorithm: 2048, 3072 (default) or 4096.")
        var rsaBits = 3072

        @Option(
            name: .customLong("passphrase-env"),
            help: ArgumentHelp(
                "With --sign: encrypt the private key (PBES2, AES-256) with the passphrase in VAR.", valueName: "VAR"))
        var passphraseEnvironment: String?

        @Flag(
            name: .customLong("passphrase"),
            help: "With --sign: encrypt the private key with a passphrase asked on the terminal.")
        var passphrasePrompt = false

        @Option(
            name: .customLong("export-public"),
            help: ArgumentHelp(
                "Write the public key (PEM) of signing key KEY, a key file or a pkcs11: URI, to -o FILE or standard "
                    + "output, and print its fingerprint on standard error.",
                valueName: "FILE|URI"))
        var exportPublic: String?

        @OptionGroup var module: PKCS11ModuleOption

        func validate() throws {
            if exportPublic != nil && (symmetric || sign || identityFile != nil) {
                throw ValidationError("--export-public only writes a public key: drop --symmetric, --sign and -y")
            }
            _ = try module.checkKey(exportPublic, keyOption: "--export-public")
            if identityFile != nil && (symmetric || output != nil || sign) {
                throw ValidationError("-y only prints recipients: drop --symmetric, --sign and -o")
            }
            if sign {
                if symmetric { throw ValidationError("--sign and --symmetric make different keys: pick one") }
                if output == nil {
                    throw ValidationError("--sign writes two files: give -o FILE (FILE.pub is the public key)")
                }
                if SignatureAlgorithm(name: alg) == nil {
                    throw ValidationError(
                        "unknown --alg '\(alg)': use \(SignatureAlgorithm.allCases.map(\.description).joined(separator: ", "))"
                    )
                }
            } else if (passphraseEnvironment != nil || passphrasePrompt) && exportPublic == nil {
                throw ValidationError("--passphrase and --passphrase-env encrypt signing keys: add --sign")
            }
        }

        func run() throws {
            try reportingErrors { try execute() }
        }

        private func execute() throws {
            if let exportPublic {
                try exportPublicKey(of: exportPublic)
                return
            }
            if sign, let output {
                try generateSigningKey(to: output)
                return
            }
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

        private func generateSigningKey(to path: String) throws {
            let algorithm = SignatureAlgorithm(name: alg) ?? .ed25519
            var passphrase: String? = nil
            if let passphraseEnvironment {
                guard let value = ProcessEnvironment.value(passphraseEnvironment), !value.isEmpty else {
                    throw KeyError.environmentVariableUnset(passphraseEnvironment)
                }
                passphrase = value
            } else if passphrasePrompt {
                passphrase = try PassphrasePrompt.read(prompt: "Passphrase for the new key: ", confirm: true)
            }
            let key = try SigningKey.generate(algorithm, rsaBits: rsaBits)
            let publicFile = try OutputFile(.path(path + ".pub"), mode: 0o644, replace: false)
            let privateFile = try OutputFile(.path(path), mode: 0o600, replace: false)
            try privateFile.write(contentsOf: Array(try KeyFile.pem(of: key, passphrase: passphrase).utf8))
            try publicFile.write(contentsOf: Array(key.verifyingKey.pem.utf8))
            try privateFile.commit()
            try publicFile.commit()
            Terminal.writeOutput(key.verifyingKey.fingerprint + "\n")
            Terminal.writeError(
                "wrote \(path) (private, \(key.verifyingKey.typeName)\(passphrase == nil ? "" : ", encrypted")) and \(path).pub; "
                    + "give customers the .pub file and have them compare the fingerprint above out of band")
            if algorithm == .rsaPKCS1v15SHA256 {
                Terminal.writeError(
                    "note: a key file records no algorithm: sign with --sign-alg rsa-pkcs1v15 (RSA keys default to rsa-pss)"
                )
            }
        }

        private func exportPublicKey(of reference: String) throws {
            let source = try SigningKeySource(
                reference: reference, passphraseEnvironment: passphraseEnvironment, pkcs11Module: module.path)
            let key = try source.verifyingKey()
            if let output {
                let file = try OutputFile(.path(output), mode: 0o644, replace: false)
                try file.write(contentsOf: Array(key.pem.utf8))
                try file.commit()
            } else {
                Terminal.writeOutput(key.pem)
            }
            Terminal.writeError("\(key.typeName) public key \(key.fingerprint)")
        }
    }
}
