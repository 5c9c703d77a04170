import ArgumentParser
import ContainerEngine
import ModelSealKit

/// Who a file is sealed to.
struct RecipientOptions: ParsableArguments {
    @Option(
        name: .customLong("key-env"),
        help: ArgumentHelp(
            "Seal to the raw key in environment variable VAR (32 bytes as base64url, e.g. the article's MODEL_KEY).",
            valueName: "VAR"))
    var keyEnvironment: [String] = []

    @Option(
        name: .customLong("key-file"),
        help: ArgumentHelp(
            "Seal to the raw key in FILE (32 binary bytes, or base64url text).", valueName: "FILE"))
    var keyFiles: [String] = []

    @Flag(name: .customLong("passphrase"), help: "Seal to a passphrase asked on the terminal (scrypt, at most one).")
    var passphrasePrompt = false

    @Option(
        name: .customLong("passphrase-env"),
        help: ArgumentHelp(
            "Seal to the passphrase in environment variable VAR (for scripts).", valueName: "VAR"))
    var passphraseEnvironment: String?

    @Option(
        name: [.customShort("r"), .customLong("recipient")],
        help: ArgumentHelp(
            "Seal to a public key modelseal1... (from `modelseal keygen`). Repeatable.", valueName: "RECIPIENT"))
    var recipients: [String] = []

    @Option(
        name: [.customShort("R"), .customLong("recipients-file")],
        help: ArgumentHelp(
            "Seal to every recipient listed in FILE (one per line, # comments). Repeatable.", valueName: "FILE"))
    var recipientFiles: [String] = []

    @Option(
        name: .customLong("license-key"),
        help: ArgumentHelp(
            "Seal to a license key (from `license issue --license-key-out`): opens with every license carrying it. "
                + "Needs --chain-license-key (see there for what it costs).",
            valueName: "FILE"))
    var licenseKeyFiles: [String] = []

    @Flag(
        name: .customLong("chain-license-key"),
        help: ArgumentHelp(
            "Accept the cost of --license-key: a licensee who extracts the license key from their machine (all of it "
                + "is there, in software) opens this and every later file sealed to it without the license's expiry, "
                + "load limit or guards. The default is per version: `license issue --model NEW.mseal` for each."))
    var chainLicenseKey = false

    @Option(
        name: .customLong("scrypt-log2n"),
        help: ArgumentHelp(
            "scrypt cost for --passphrase: log2 N, 10...20 (18 = 256 MiB, ~0.6 s).", valueName: "N"))
    var scryptLog2N = ScryptParameters.default.log2N

    var isEmpty: Bool {
        keyEnvironment.isEmpty && keyFiles.isEmpty && !passphrasePrompt && passphraseEnvironment == nil
            && recipients.isEmpty && recipientFiles.isEmpty && licenseKeyFiles.isEmpty
    }

    func validate() throws {
        if !licenseKeyFiles.isEmpty && !chainLicenseKey {
            throw ValidationError(
                "--license-key chains versions to one license key: anyone who extracts it from a licensed machine "
                    + "opens every file sealed to it, after expiry too. Issue a license per version instead "
                    + "(`license issue --model NEW.mseal`), or pass --chain-license-key to accept that cost")
        }
        if passphrasePrompt && passphraseEnvironment != nil {
            throw ValidationError(
                "give --passphrase or --passphrase-env, not both: a file holds at most one passphrase")
        }
    }

    func resolve() throws -> [Recipient] {
        try KeyMaterial.recipients(
            keyEnvironment: keyEnvironment, keyFiles: keyFiles, passphrasePrompt: passphrasePrompt,
            passphraseEnvironment: passphraseEnvironment, recipients: recipients, recipientFiles: recipientFiles,
            scryptLog2N: scryptLog2N, licenseKeyFiles: licenseKeyFiles)
    }
}
