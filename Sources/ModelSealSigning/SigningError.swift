/// Why a signing key, a signature or a signed file is not acceptable.
public enum SigningError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A key file is not PEM, not a key, or a type ModelSeal does not sign with.
    case unreadableKey(String)
    /// A key of an accepted type but unacceptable size or curve for the requested algorithm.
    case unsuitableKey(String)
    /// An encrypted private key needs a passphrase, or the passphrase is wrong.
    case passphraseRequired(String)
    /// The file carries no signature but one is required.
    case unsigned(String)
    /// Every signature is valid but none is by a trusted key.
    case untrustedSigner(fingerprints: [String])
    /// A signature does not verify: the file was altered after signing or the signature belongs elsewhere.
    case invalidSignature(String)
    /// A signature trailer or signature file that breaks the format.
    case malformedSignature(String)
    /// The signature names a key hint that no trusted key has: signed by someone else (or not for these keys).
    case unknownSigner(String)
    /// The signature is valid, but the files on disk are not the ones it lists: missing, extra or changed.
    case manifestMismatch(String)

    public var description: String {
        switch self {
        case .unreadableKey(let reason): "cannot use key: \(reason)"
        case .unsuitableKey(let reason): "unsuitable key: \(reason)"
        case .passphraseRequired(let reason): reason
        case .unsigned(let reason): "unsigned: \(reason)"
        case .untrustedSigner(let fingerprints):
            "untrusted signer: the file is validly signed by \(fingerprints.joined(separator: ", ")), which no --trust key "
                + "matches; compare the fingerprint with the vendor out of band and add its public key with --trust"
        case .invalidSignature(let reason): "invalid signature: \(reason)"
        case .malformedSignature(let reason): "malformed signature: \(reason)"
        case .unknownSigner(let reason): "untrusted signer: \(reason)"
        case .manifestMismatch(let reason): "model does not match its signature: \(reason)"
        }
    }
}
