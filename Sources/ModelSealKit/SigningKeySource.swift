import ModelSealCore
import ModelSealKeys
import ModelSealPKCS11
import ModelSealSigning

/// Where a vendor signing key comes from: a key file, or a key on a PKCS#11 token that never leaves it.
///
/// Every surface that signs resolves one of these: the CLI's `--sign-key`, and a server's own key later
/// (`SigningKeySource(reference: configured, ...)`, then `signingKey(prompt: false)` once at start-up: the
/// returned `SigningKey` keeps the token session open and serialises its calls).
public enum SigningKeySource: Sendable {
    /// A PEM key file; an encrypted one is unlocked with the passphrase in `$passphraseEnvironment`.
    case file(path: String, passphraseEnvironment: String?)
    /// A token key named by an RFC 7512 URI; `module` and `pinEnvironment` override the defaults below.
    case token(PKCS11URI, module: String?, pinEnvironment: String?)

    /// The environment variable naming the PKCS#11 module when `--pkcs11-module` is not given.
    public static let moduleVariable = "MODELSEAL_PKCS11_MODULE"
    /// The environment variable holding the token PIN when `--pin-env` is not given.
    public static let pinVariable = "MODELSEAL_PKCS11_PIN"
    /// Longest PIN read from a variable, a file or the terminal.
    static let maximumPINLength = 256

    /// A `pkcs11:` URI (any case of the scheme) or a file path.
    public init(
        reference: String, passphraseEnvironment: String? = nil, pkcs11Module: String? = nil,
        pinEnvironment: String? = nil
    ) throws(PKCS11Error) {
        if PKCS11URI.isURI(reference) {
            self = .token(try PKCS11URI(parsing: reference), module: pkcs11Module, pinEnvironment: pinEnvironment)
        } else {
            self = .file(path: reference, passphraseEnvironment: passphraseEnvironment)
        }
    }

    /// The key, opened: a token key is logged in (PIN from `--pin-env`, `MODELSEAL_PKCS11_PIN`, the URI's
    /// `pin-source`, or — when `prompt` and a terminal is there — asked).
    public func signingKey(prompt: Bool = true) throws -> SigningKey {
        switch self {
        case .file(let path, let passphraseEnvironment):
            return try SigningKeys.signingKey(path: path, passphraseEnvironment: passphraseEnvironment)
        case .token(let uri, let module, let pinEnvironment):
            let key = try PKCS11SigningKey(
                uri: uri, modulePath: try Self.modulePath(module, uri: uri),
                pin: { try Self.pin(for: uri, environment: pinEnvironment, prompt: prompt) })
            return .external(key)
        }
    }

    /// The public key, without the PIN for a token key (public objects are readable without login).
    public func verifyingKey() throws -> VerifyingKey {
        switch self {
        case .file: return try signingKey().verifyingKey
        case .token(let uri, let module, _):
            return try PKCS11PublicKey.read(uri: uri, modulePath: try Self.modulePath(module, uri: uri))
        }
    }

    /// `--pkcs11-module`, else the URI's `module-path`, else `$MODELSEAL_PKCS11_MODULE`. Every token key
    /// resolves its module this way: signing keys here, the key server's master key (docs/SERVER.md §Keys).
    public static func modulePath(_ explicit: String?, uri: PKCS11URI) throws(PKCS11Error) -> String {
        if let explicit { return explicit }
        if let path = uri.modulePath { return path }
        if let path = ProcessEnvironment.value(moduleVariable), !path.isEmpty { return path }
        throw .moduleUnavailable(
            "no module named: give --pkcs11-module PATH or set \(moduleVariable) "
                + "(SoftHSM2: /usr/lib/softhsm/libsofthsm2.so)")
    }

    /// The PIN, never from argv: `$VAR` of `--pin-env`, `$MODELSEAL_PKCS11_PIN`, `pin-source`, the terminal
    /// (when `prompt`). Shared by every token key, as `modulePath`.
    public static func pin(for uri: PKCS11URI, environment: String?, prompt: Bool) throws -> [UInt8] {
        if let environment {
            guard let value = ProcessEnvironment.value(environment), !value.isEmpty else {
                throw PKCS11Error.loginFailed("--pin-env \(environment): the variable is not set")
            }
            return try checked(Array(value.utf8))
        }
        if let value = ProcessEnvironment.value(pinVariable), !value.isEmpty { return try checked(Array(value.utf8)) }
        if let source = uri.pinSource {
            let path = source.hasPrefix("file:") ? String(source.dropFirst(5)) : source
            var bytes = try KeyFiles.read(path)
            while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
            return try checked(bytes)
        }
        let tokenName = "token '\(uri.token ?? uri.description)'"
        guard prompt, let typed = try? PassphrasePrompt.read(prompt: "PIN for \(tokenName): ", confirm: false) else {
            throw PKCS11Error.loginFailed(
                "\(tokenName) needs a PIN: set \(pinVariable) or name a variable with --pin-env VAR (no terminal to ask on)"
            )
        }
        return try checked(Array(typed.utf8))
    }

    private static func checked(_ pin: [UInt8]) throws(PKCS11Error) -> [UInt8] {
        guard !pin.isEmpty, pin.count <= maximumPINLength else {
            throw .loginFailed("a PIN is 1 to \(maximumPINLength) bytes")
        }
        return pin
    }
}
