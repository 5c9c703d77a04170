import ModelSealCrypto
import ModelSealFormat
import ModelSealKeys
import ModelSealSigning
import ModelSealEnvironment
import ModelSealBundle

/// The one table of outcomes shared by every surface: CLI exit codes, C ABI status codes and
/// Python exception classes all come from here (docs/CLI.md lists it).
///
/// Codes 20–29 are signatures; 30–39 are reserved for licenses; 40–49 are environment contracts and bundles.
public enum StatusCode: Int32, CaseIterable, Sendable {
    case success = 0
    case internalError = 1
    case wrongKey = 10
    case authenticationFailed = 11
    case truncated = 12
    case malformed = 13
    case keyError = 14
    case unsafeParameters = 15
    case inputError = 16
    case outputError = 17
    case unsigned = 20
    case untrustedSigner = 21
    case invalidSignature = 22
    case signingKeyError = 23
    case malformedSignature = 24
    case environmentMismatch = 40
    case platformMismatch = 41
    case malformedContract = 42
    case environmentUnreadable = 43
    case malformedBundle = 44
    case bundleAltered = 45
    case unsafeBundleMember = 46
    case usage = 64

    /// One line for help texts and docs.
    public var meaning: String {
        switch self {
        case .success: "success"
        case .internalError: "internal error (a bug: please report it)"
        case .wrongKey: "wrong key: none of the given keys opens the file"
        case .authenticationFailed: "tampered or corrupted: the header MAC or a chunk failed to authenticate"
        case .truncated: "truncated: the file ends inside its header or inside a chunk"
        case .malformed: "not a ModelSeal file, malformed header, or unsupported version/suite/critical extension"
        case .keyError: "key error: bad key text, unset variable, invalid identity/recipients file, empty passphrase"
        case .unsafeParameters: "unsafe scrypt parameters in the file, refused before any work"
        case .inputError: "input missing, a directory, unreadable, or changed while read"
        case .outputError: "output exists (without --force), is a directory, or cannot be written"
        case .unsigned: "unsigned: a signature is required (--trust, or the file demands one) and there is none"
        case .untrustedSigner: "untrusted signer: validly signed, but by no --trust key"
        case .invalidSignature: "invalid signature: the file was altered after signing, or the signature is for another file"
        case .signingKeyError: "signing key error: unreadable or unsuitable key, wrong or missing key passphrase"
        case .malformedSignature: "malformed signature trailer or signature file"
        case .environmentMismatch: "environment mismatch: the environment does not satisfy the model's contract (policy)"
        case .platformMismatch: "platform mismatch: the contract is for another operating system or CPU"
        case .malformedContract: "malformed environment lock, contract, environment.yml, explicit spec or conda record"
        case .environmentUnreadable: "cannot read the Python environment (no interpreter, site-packages or metadata)"
        case .malformedBundle: "not a bundle, or a malformed/oversized bundle header, manifest or signature block"
        case .bundleAltered: "bundle altered: a member is missing, extra or differs from the signed manifest"
        case .unsafeBundleMember: "unsafe bundle member: path traversal, absolute path, link, device or colliding name"
        case .usage: "usage error: bad or missing options"
        }
    }

    /// The Python exception class a status maps to (`modelseal.<name>`, all subclasses of `modelseal.Error`).
    public var pythonException: String {
        switch self {
        case .success: ""
        case .wrongKey: "WrongKeyError"
        case .authenticationFailed: "TamperedFileError"
        case .truncated: "TruncatedFileError"
        case .malformed: "FormatError"
        case .keyError, .unsafeParameters, .signingKeyError: "KeyError_"
        case .unsigned, .untrustedSigner, .invalidSignature, .malformedSignature: "SignatureError"
        case .inputError, .outputError: "IOError_"
        case .environmentMismatch, .platformMismatch: "EnvironmentMismatchError"
        case .malformedContract, .malformedBundle: "FormatError"
        case .environmentUnreadable: "IOError_"
        case .bundleAltered, .unsafeBundleMember: "TamperedFileError"
        case .internalError, .usage: "Error"
        }
    }

    /// The table as aligned text.
    public static var table: String {
        allCases.map {
            let code = String($0.rawValue)
            return "  " + String(repeating: " ", count: max(0, 3 - code.count)) + code + "  " + $0.meaning
        }.joined(separator: "\n")
    }

    /// The status for an error thrown by the libraries.
    public init(for error: Error) {
        switch error {
        case let error as SealError:
            switch error {
            case .malformed(let format): self = StatusCode(format: format)
            case .noMatchingIdentity: self = .wrongKey
            case .headerMACMismatch, .chunkAuthenticationFailed, .extensionAuthenticationFailed:
                self = .authenticationFailed
            case .malformedExtension: self = .malformed
            case .unsafeScryptParameters: self = .unsafeParameters
            case .invalidKey, .noRecipients: self = .keyError
            case .inputFailed: self = .inputError
            case .outputFailed: self = .outputError
            }
        case let error as FormatError: self = StatusCode(format: error)
        case is KeyError: self = .keyError
        case let error as SigningError:
            switch error {
            case .unsigned: self = .unsigned
            case .untrustedSigner: self = .untrustedSigner
            case .invalidSignature: self = .invalidSignature
            case .unreadableKey, .unsuitableKey, .passphraseRequired: self = .signingKeyError
            case .malformedSignature: self = .malformedSignature
            }
        case let error as EnvironmentError:
            switch error {
            case .mismatch: self = .environmentMismatch
            case .platformMismatch: self = .platformMismatch
            case .probeFailed, .malformedDistribution: self = .environmentUnreadable
            case .malformedLock, .malformedYAML, .malformedExplicitSpec, .malformedCondaRecord, .malformedContract:
                self = .malformedContract
            }
        case let error as BundleError:
            switch error {
            case .notBundle, .unsupportedVersion, .malformed, .malformedManifest: self = .malformedBundle
            case .sizeMismatch, .memberAltered: self = .bundleAltered
            case .unsafeMemberName, .unsupportedInput: self = .unsafeBundleMember
            case .inputFailed: self = .inputError
            case .outputFailed: self = .outputError
            }
        case let error as StatusError: self = error.status
        default: self = .internalError
        }
    }

    init(format error: FormatError) {
        switch error {
        case .truncatedHeader, .truncatedPayload, .malformedTrailer: self = .truncated
        case .malformedSignatureTrailer: self = .malformedSignature
        default: self = .malformed
        }
    }
}

/// A failure detected by a surface itself (not by a library), with its status.
public struct StatusError: Error, CustomStringConvertible, Sendable {
    /// The outcome class.
    public let status: StatusCode
    /// The message shown to the user.
    public let description: String

    /// A failure of the given class.
    public init(_ status: StatusCode, _ description: String) {
        self.status = status
        self.description = description
    }
}
