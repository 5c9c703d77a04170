/// Why a `pkcs11:` key cannot be used: each case is its own exit status (ModelSealKit's StatusCode).
public enum PKCS11Error: Error, Equatable, Sendable, CustomStringConvertible {
    /// The text is not an RFC 7512 `pkcs11:` URI ModelSeal can act on (syntax, encoding, a PIN in the URI).
    case malformedURI(String)
    /// No module named, or the module cannot be loaded, is not PKCS#11, or fails to initialise.
    case moduleUnavailable(String)
    /// The token refused the PIN (wrong, locked, expired), or no PIN was given where one is needed.
    case loginFailed(String)
    /// No token, or no key on the token, matches the URI; or the URI matches more than one.
    case notFound(String)
    /// The key found is of a type ModelSeal cannot sign with (not Ed25519 or ECDSA P-256/P-384/P-521), or,
    /// for the key server's master key, not an AES-256 key the token keeps to itself.
    case unsupportedKey(String)
    /// The module returned an error code where none was expected.
    case tokenFailed(function: String, code: UInt)

    public var description: String {
        switch self {
        case .malformedURI(let reason): "bad pkcs11: URI: \(reason)"
        case .moduleUnavailable(let reason): "PKCS#11 module: \(reason)"
        case .loginFailed(let reason): "token login failed: \(reason)"
        case .notFound(let reason): "pkcs11: \(reason)"
        case .unsupportedKey(let reason): "unsuitable token key: \(reason)"
        case .tokenFailed(let function, let code):
            "the PKCS#11 module's \(function) failed with \(PKCS11ReturnCode.name(code))"
        }
    }
}
