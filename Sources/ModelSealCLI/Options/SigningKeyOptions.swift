import ArgumentParser
import ModelSealKit
import ModelSealSigning

/// The vendor's signing key: `--sign-key` everywhere.
struct SigningKeyOptions: ParsableArguments {
    @Option(
        name: .customLong("sign-key"),
        help: ArgumentHelp(
            "Sign with the private key in FILE (PKCS#8 PEM, from `modelseal keygen --sign`).", valueName: "FILE"))
    var signKey: String?

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
    }

    /// The key and algorithm, or `nil` without `--sign-key`.
    func resolve() throws -> (key: SigningKey, algorithm: SignatureAlgorithm)? {
        guard let signKey else { return nil }
        let key = try SigningKeys.signingKey(path: signKey, passphraseEnvironment: passphraseEnvironment)
        let chosen = algorithm.flatMap(SignatureAlgorithm.init(name:)) ?? key.verifyingKey.defaultAlgorithm
        guard key.verifyingKey.supports(chosen) else {
            throw SigningError.unsuitableKey("a \(key.verifyingKey.typeName) key cannot sign with \(chosen)")
        }
        return (key, chosen)
    }
}
