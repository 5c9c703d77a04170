import ArgumentParser
import ContainerEngine
import ModelSealKit

/// The keys a file may be opened with; all are tried.
struct IdentityOptions: ParsableArguments {
    @Option(
        name: .customLong("key-env"),
        help: ArgumentHelp(
            "Open with the raw key in environment variable VAR (base64url; Fernet keys work).", valueName: "VAR"))
    var keyEnvironment: [String] = []

    @Option(
        name: .customLong("key-file"),
        help: ArgumentHelp(
            "Open with the raw key in FILE (32 binary bytes, or base64url text).", valueName: "FILE"))
    var keyFiles: [String] = []

    @Flag(name: .customLong("passphrase"), help: "Open with a passphrase asked on the terminal.")
    var passphrasePrompt = false

    @Option(
        name: .customLong("passphrase-env"),
        help: ArgumentHelp(
            "Open with the passphrase in environment variable VAR.", valueName: "VAR"))
    var passphraseEnvironment: String?

    @Option(
        name: [.customShort("i"), .customLong("identity")],
        help: ArgumentHelp(
            "Open with the secret key(s) in identity FILE (from `modelseal keygen`). Repeatable.", valueName: "FILE"))
    var identityFiles: [String] = []

    var isEmpty: Bool {
        keyEnvironment.isEmpty && keyFiles.isEmpty && !passphrasePrompt && passphraseEnvironment == nil
            && identityFiles.isEmpty
    }

    func resolve() throws -> [Identity] {
        let identities = try KeyMaterial.identities(
            keyEnvironment: keyEnvironment, keyFiles: keyFiles, passphrasePrompt: passphrasePrompt,
            passphraseEnvironment: passphraseEnvironment, identityFiles: identityFiles)
        guard !identities.isEmpty else {
            throw CLIError(.usage, "no key given: use --key-env VAR, --key-file FILE, -i IDENTITY or --passphrase")
        }
        return identities
    }
}
