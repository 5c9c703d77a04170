import ArgumentParser
import ContainerEngine
import ModelSealCore
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
            "Open with the secret key(s) in identity FILE (from `modelseal keygen`). Repeatable. Not a pkcs11: URI: "
                + "token keys sign only (docs/SIGNING.md).", valueName: "FILE"))
    var identityFiles: [String] = []

    @Flag(
        name: .customLong("allow-slow-passphrase"),
        help: ArgumentHelp(
            "Let a passphrase open a file whose scrypt cost is over 2^23 (what modelseal writes at most), up to the "
                + "format's 2^26: a crafted file can then cost about 20 s and 1 GiB per try."))
    var slowPassphrase = false

    @Flag(
        name: .customLong("strict"),
        help: "Refuse identity, raw key and machine key files that group or others can read (default: warn).")
    var strict = false

    var isEmpty: Bool {
        keyEnvironment.isEmpty && keyFiles.isEmpty && !passphrasePrompt && passphraseEnvironment == nil
            && identityFiles.isEmpty
    }

    /// Applies `--strict` to every secret key file read from here on (machine key files included).
    func applyPermissionPolicy() {
        SecretFilePermissions.configure(policy: strict ? .refuse : .warn)
    }

    func resolve() throws -> [Identity] {
        if let uri = identityFiles.first(where: { $0.hasPrefix("pkcs11:") }) {
            throw CLIError(
                .usage,
                "-i \(uri): opening with a key on a PKCS#11 token is not supported (token keys sign only): the "
                    + "container's recipients are X25519, which tokens do not do (docs/SIGNING.md). Use an identity "
                    + "file from `modelseal keygen`")
        }
        applyPermissionPolicy()
        let identities = try KeyMaterial.identities(
            keyEnvironment: keyEnvironment, keyFiles: keyFiles, passphrasePrompt: passphrasePrompt,
            passphraseEnvironment: passphraseEnvironment, identityFiles: identityFiles, slowPassphrase: slowPassphrase)
        guard !identities.isEmpty else {
            throw CLIError(.usage, "no key given: use --key-env VAR, --key-file FILE, -i IDENTITY or --passphrase")
        }
        return identities
    }
}
