import ArgumentParser
import ModelSealPKCS11

/// `--pkcs11-module`: shared by every option group that takes a `pkcs11:` key (`--sign-key`, `--export-public`).
struct PKCS11ModuleOption: ParsableArguments {
    @Option(
        name: .customLong("pkcs11-module"),
        help: ArgumentHelp(
            "With a pkcs11: key: the token's PKCS#11 module (default: $MODELSEAL_PKCS11_MODULE).", valueName: "PATH"))
    var path: String?

    /// Whether `reference` is a `pkcs11:` URI; a malformed one is a usage error (exit 64) before anything loads.
    /// `--pkcs11-module` without a URI is refused, naming `keyOption`.
    func checkKey(_ reference: String?, keyOption: String) throws -> Bool {
        guard let reference, PKCS11URI.isURI(reference) else {
            if path != nil { throw ValidationError("--pkcs11-module needs a pkcs11: URI as \(keyOption)") }
            return false
        }
        do { _ = try PKCS11URI(parsing: reference) } catch { throw ValidationError("\(error)") }
        return true
    }
}
