import ArgumentParser
import ModelSealCrypto
import ModelSealFormat
import ModelSealKeys

#if canImport(Glibc)
import Glibc
#endif

/// The documented exit codes of `modelseal` (docs/CLI.md), one per kind of failure.
enum ExitStatus: Int32, CaseIterable {
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
    case usage = 64

    var meaning: String {
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
        case .usage: "usage error: bad or missing options"
        }
    }

    static var table: String {
        allCases.map { "  \(String($0.rawValue).leftPadded(to: 3))  \($0.meaning)" }.joined(separator: "\n")
    }

    /// The status for an error thrown by the libraries.
    init(for error: Error) {
        switch error {
        case let error as SealError:
            switch error {
            case .malformed(let format): self = ExitStatus(format: format)
            case .noMatchingIdentity: self = .wrongKey
            case .headerMACMismatch, .chunkAuthenticationFailed, .extensionAuthenticationFailed: self = .authenticationFailed
            case .malformedExtension: self = .malformed
            case .unsafeScryptParameters: self = .unsafeParameters
            case .invalidKey, .noRecipients: self = .keyError
            case .inputFailed: self = .inputError
            case .outputFailed: self = .outputError
            }
        case let error as FormatError: self = ExitStatus(format: error)
        case is KeyError: self = .keyError
        case let error as CLIError: self = error.status
        default: self = .internalError
        }
    }

    init(format error: FormatError) {
        switch error {
        case .truncatedHeader, .truncatedPayload, .malformedTrailer: self = .truncated
        default: self = .malformed
        }
    }
}

/// A failure detected by the CLI itself, with its exit status.
struct CLIError: Error, CustomStringConvertible {
    let status: ExitStatus
    let description: String

    init(_ status: ExitStatus, _ description: String) {
        self.status = status
        self.description = description
    }
}

/// Runs a command body, turning every error into a one-line message and its exit status.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch let error as ValidationError {
        throw error
    } catch {
        let status = ExitStatus(for: error)
        Terminal.writeError("modelseal: error: \(error)")
        throw ExitCode(status.rawValue)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        String(repeating: " ", count: max(0, width - count)) + self
    }
}
