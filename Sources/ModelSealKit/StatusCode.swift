import ArticleCompat
import ContainerEngine
import ContainerFormat
import ModelFormats
import ModelSealBundle
import ModelSealCore
import ModelSealEnvironment
import ModelSealKeys
import ModelSealLicensing
import ModelSealPKCS11
import ModelSealSigning

/// The one table of outcomes shared by every surface: CLI exit codes, C ABI status codes and
/// Python exception classes all come from here (docs/CLI.md lists it).
///
/// Ranges: 10–19 container, 20–29 signatures, 30–39 licenses, 40–49 environment contracts, 50–59
/// model files and scanning.
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
    case manifestMismatch = 25
    case noTrust = 26
    case tokenUnavailable = 27
    case tokenLoginFailed = 28
    case tokenKeyNotFound = 29
    case invalidLicense = 30
    case licenseExpired = 31
    case licenseNotYetValid = 32
    case wrongMachine = 33
    case wrongModel = 34
    case loadsExhausted = 35
    case clockRollback = 36
    case licenseStateTampered = 37
    case guardDenied = 38
    case featureNotLicensed = 39
    case environmentMismatch = 40
    case platformMismatch = 41
    case malformedContract = 42
    case environmentUnreadable = 43
    case malformedBundle = 44
    case bundleAltered = 45
    case unsafeBundleMember = 46
    case modelMalformed = 50
    case modelUnsupported = 51
    case conversionRefused = 52
    case scanNotWeightsOnly = 53
    case scanDangerous = 54
    case scanCannotScan = 55
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
        case .unsigned:
            "unsigned: a signature is required (--trust, a trust store, a license, or the file demands one) and there is none"
        case .untrustedSigner: "untrusted signer: validly signed, but by no --trust or trust-store key"
        case .invalidSignature:
            "invalid signature: the file was altered after signing, or the signature is for another file"
        case .signingKeyError: "signing key error: unreadable or unsuitable key, wrong or missing key passphrase"
        case .malformedSignature: "malformed signature trailer or signature file"
        case .manifestMismatch: "model does not match its signature manifest: files missing, extra or changed (--oms)"
        case .noTrust:
            "no trust: nothing says whose signature to require (--trust, a trust store, or --allow-unsigned to opt out)"
        case .tokenUnavailable:
            "token unavailable: no PKCS#11 module named, or it cannot be loaded or initialised, or the token failed"
        case .tokenLoginFailed: "token login failed: wrong, locked or missing PIN"
        case .tokenKeyNotFound: "no token or no key on it matches the pkcs11: URI, or the URI matches more than one"
        case .invalidLicense:
            "invalid license: malformed, edited after signing, signed by another vendor, or needs a newer modelseal"
        case .licenseExpired: "license expired"
        case .licenseNotYetValid: "license not yet valid"
        case .wrongMachine:
            "wrong machine: no machine key here, another machine's license, too few fingerprint components match, "
                + "or the TPM holding the machine key is missing or refused"
        case .wrongModel: "wrong model: the license does not cover this file"
        case .loadsExhausted: "license load limit reached"
        case .clockRollback: "clock rollback: the clock is behind the license's issue time or the last recorded load"
        case .licenseStateTampered: "license state file edited or rolled back"
        case .guardDenied: "runtime guard denied by the license policy (tracer, preload, VM or container)"
        case .featureNotLicensed: "not licensed: the license does not grant this use (e.g. writing the model to a file)"
        case .environmentMismatch:
            "environment mismatch: the environment does not satisfy the model's contract (policy)"
        case .platformMismatch: "platform mismatch: the contract is for another operating system or CPU"
        case .malformedContract: "malformed environment lock, contract, environment.yml, explicit spec or conda record"
        case .environmentUnreadable: "cannot read the Python environment (no interpreter, site-packages or metadata)"
        case .malformedBundle: "not a bundle, or a malformed/oversized bundle header, manifest or signature block"
        case .bundleAltered:
            "bundle or sealed folder altered: a member is missing, extra or differs from the signed manifest"
        case .unsafeBundleMember: "unsafe bundle member: path traversal, absolute path, link, device or colliding name"
        case .modelMalformed: "not a recognised model file, or malformed, truncated or hostile model content"
        case .modelUnsupported: "a valid model file using a feature ModelSeal does not model (e.g. big-endian storages)"
        case .conversionRefused: "conversion refused by policy: shared storages, non-tensor data, unrepresentable dtype"
        case .scanNotWeightsOnly: "scan: not weights-only: globals outside the allowlist, the file needs code to load"
        case .scanDangerous:
            "scan: dangerous: references primitives that run code, processes, files, network or pickles"
        case .scanCannotScan: "scan: cannot scan: unrecognised format, encrypted archive or unparseable content"
        case .usage: "usage error: bad or missing options"
        }
    }

    /// The Python exception class a status maps to (`modelseal.<name>`, all subclasses of `modelseal.Error`).
    public var pythonException: String {
        switch self {
        case .success: ""
        case .internalError: "InternalError"
        case .wrongKey: "WrongKeyError"
        case .authenticationFailed: "TamperedFileError"
        case .truncated: "TruncatedFileError"
        case .malformed: "FormatError"
        case .keyError: "InvalidKeyError"
        case .unsafeParameters: "UnsafeParametersError"
        case .inputError: "InputError"
        case .outputError: "OutputError"
        case .usage: "UsageError"
        case .unsigned, .untrustedSigner, .invalidSignature, .signingKeyError, .malformedSignature, .manifestMismatch,
            .noTrust, .tokenUnavailable, .tokenLoginFailed, .tokenKeyNotFound:
            "SignatureError"
        case .modelMalformed, .modelUnsupported, .conversionRefused, .scanNotWeightsOnly, .scanDangerous,
            .scanCannotScan:
            "ModelFormatError"
        case .invalidLicense, .licenseExpired, .licenseNotYetValid, .wrongMachine, .wrongModel, .loadsExhausted,
            .clockRollback, .licenseStateTampered, .guardDenied, .featureNotLicensed:
            "LicenseError"
        case .environmentMismatch, .platformMismatch, .malformedContract, .environmentUnreadable, .malformedBundle,
            .bundleAltered, .unsafeBundleMember:
            // The Python package maps the whole 40–49 range to this class (python/modelseal/_errors.py).
            "EnvironmentMismatchError"
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
            case .chunkNotSigned: self = .invalidSignature
            case .headerMACMismatch, .chunkAuthenticationFailed, .extensionAuthenticationFailed:
                self = .authenticationFailed
            case .malformedExtension: self = .malformed
            case .unsafeScryptParameters: self = .unsafeParameters
            case .invalidKey, .noRecipients: self = .keyError
            case .inputFailed: self = .inputError
            case .outputFailed: self = .outputError
            }
        case let error as IOError:
            switch error {
            case .system(_, let operation, _):
                self = IOError.outputOperations.contains(where: operation.hasPrefix) ? .outputError : .inputError
            case .refused(_, let reason) where reason.contains("--force"): self = .outputError
            case .shortRead, .refused, .failed: self = .inputError
            }
        case let error as FormatError: self = StatusCode(format: error)
        case let error as FernetError: self = StatusCode(fernet: error)
        case is KeyError: self = .keyError
        case let error as ModelFormatsError:
            switch error {
            case .io(_, let operation, _):
                self = ["open", "read", "stat"].contains(operation) ? .inputError : .outputError
            case .unsupported: self = .modelUnsupported
            case .conversionRefused: self = .conversionRefused
            default: self = .modelMalformed
            }
        case let error as SigningError:
            switch error {
            case .unsigned: self = .unsigned
            case .untrustedSigner, .unknownSigner: self = .untrustedSigner
            case .invalidSignature: self = .invalidSignature
            case .unreadableKey, .unsuitableKey, .passphraseRequired: self = .signingKeyError
            case .malformedSignature: self = .malformedSignature
            case .manifestMismatch: self = .manifestMismatch
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
            case .sizeMismatch, .memberAltered, .folderAltered: self = .bundleAltered
            case .unsafeMemberName, .unsupportedInput: self = .unsafeBundleMember
            case .inputFailed: self = .inputError
            case .outputFailed: self = .outputError
            }
        case let error as LicenseError: self = StatusCode(license: error)
        case let error as PKCS11Error: self = StatusCode(token: error)
        case let error as StatusError: self = error.status
        default: self = .internalError
        }
    }

    /// Fernet has one MAC and no key check, so a wrong key and an altered token are both 11 (docs/ARTICLE.md).
    init(fernet error: FernetError) {
        switch error {
        case .malformedText, .unsupportedVersion, .tooLarge, .invalidPadding: self = .malformed
        case .truncated: self = .truncated
        case .invalidKey: self = .keyError
        case .hmacMismatch: self = .authenticationFailed
        case .inputFailed: self = .inputError
        case .outputFailed: self = .outputError
        }
    }

    init(license error: LicenseError) {
        switch error {
        case .malformed, .tamperedLicense, .untrustedVendor, .unsupported: self = .invalidLicense
        case .expired: self = .licenseExpired
        case .notYetValid: self = .licenseNotYetValid
        case .noMachineKey, .wrongMachine, .tooFewComponents, .noFingerprint, .tpm: self = .wrongMachine
        case .wrongModel: self = .wrongModel
        case .loadsExhausted: self = .loadsExhausted
        case .clockRollback: self = .clockRollback
        case .stateTampered, .stateRolledBack: self = .licenseStateTampered
        case .guardDenied: self = .guardDenied
        case .featureNotLicensed: self = .featureNotLicensed
        case .io: self = .inputError
        }
    }

    init(token error: PKCS11Error) {
        switch error {
        case .malformedURI: self = .usage
        case .moduleUnavailable, .tokenFailed: self = .tokenUnavailable
        case .loginFailed: self = .tokenLoginFailed
        case .notFound: self = .tokenKeyNotFound
        case .unsupportedKey: self = .signingKeyError
        }
    }

    init(format error: FormatError) {
        switch error {
        case .truncatedHeader, .truncatedPayload, .malformedTrailer, .truncatedSignedFile: self = .truncated
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
