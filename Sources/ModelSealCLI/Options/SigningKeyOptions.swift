import ArgumentParser
import ModelSealKit
import ModelSealSigning

/// The vendor's signing key: `--sign-key` everywhere.
struct SigningKeyOptions: ParsableArguments {
    @Option(
        name: .customLong("sign-key"),
        help: ArgumentHelp(
            "Sign with the private key in FILE (PKCS#8 PEM, from `modelseal keygen --sign`), or with a key on a "
                + "PKCS#11 token named by an RFC 7512 URI, e.g. 'pkcs11:token=vendor;object=release' (docs/SIGNING.md).",
            valueName: "FILE|URI"))
    var signKey: String?

    @OptionGroup var module: PKCS11ModuleOption

    @Option(
        name: .customLong("pin-env"),
        help: ArgumentHelp(
            "With a pkcs11: key: the token PIN from environment variable VAR (default: $MODELSEAL_PKCS11_PIN, "
                + "else asked on the terminal; never on the command line).",
            valueName: "VAR"))
    var pinEnvironment: String?

    @Option(
        name: .customLong("sign-alg"),
        help: ArgumentHelp(
            "Signature algorithm: ed25519, ecdsa-p256/384/521, rsa-pss, rsa-pkcs1v15 (default: the key's natural one).",
            valueName: "ALG"))
    var algorithm: String?

    @Option(
        name: .customLong("sign-key-passphrase-env"),
        help: ArgumentHelp(
            "Passphrase of an encrypted signing key, from environment variable VAR (else asked on the terminal).",
            valueName: "VAR"))
    var passphraseEnvironment: String?

    func validate() throws {
        if let algorithm, SignatureAlgorithm(name: algorithm) == nil {
            throw ValidationError(
                "unknown --sign-alg '\(algorithm)': use \(SignatureAlgorithm.allCases.map(\.description).joined(separator: ", "))"
            )
        }
        if signKey == nil && (algorithm != nil || passphraseEnvironment != nil) {
            throw ValidationError("--sign-alg and --sign-key-passphrase-env need --sign-key")
        }
        let isURI = try module.checkKey(signKey, keyOption: "--sign-key")
        if !isURI && pinEnvironment != nil { throw ValidationError("--pin-env needs a pkcs11: URI as --sign-key") }
        if isURI && passphraseEnvironment != nil {
            throw ValidationError("a token key has a PIN, not a passphrase: use --pin-env VAR")
        }
    }

    /// Where the key comes from, or `nil` without `--sign-key`.
    var source: SigningKeySource? {
        get throws {
            guard let signKey else { return nil }
            return try SigningKeySource(
                reference: signKey, passphraseEnvironment: passphraseEnvironment, pkcs11Module: module.path,
                pinEnvironment: pinEnvironment)
        }
    }

    /// The key and algorithm, or `nil` without `--sign-key`.
    func resolve() throws -> (key: SigningKey, algorithm: SignatureAlgorithm)? {
        guard let source = try source else { return nil }
        let key = try source.signingKey()
        let chosen = algorithm.flatMap(SignatureAlgorithm.init(name:)) ?? key.verifyingKey.defaultAlgorithm
        guard key.verifyingKey.supports(chosen) else {
            throw SigningError.unsuitableKey("a \(key.verifyingKey.typeName) key cannot sign with \(chosen)")
        }
        return (key, chosen)
    }
}
