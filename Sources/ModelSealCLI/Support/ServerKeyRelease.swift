import ContainerEngine
import ModelSealCore
import ModelSealKit
import ModelSealLicensing
import ModelSealServerClient
import ModelSealServerProtocol

/// `open --server` and `run --server`: the file's key from the key server (docs/SERVER.md §Client).
enum ServerKeyRelease {
    /// The released key as an identity for the opener; prints a note when a cached lease was used.
    static func identity(server: String, source: InputFile) throws -> ReleasedKey {
        let fileID = try SealedFile(source).fileID
        do {
            let outcome = try KeyRequest.fileKey(
                url: try ServerURL(server), fileID: fileID, directory: .fromEnvironment(), now: LicenseClock.now())
            if let note = outcome.note { Terminal.writeError("modelseal: warning: \(note)") }
            return ReleasedKey(fileKey: outcome.fileKey)
        } catch {
            throw cliError(error)
        }
    }

    /// The exit status for each client error (docs/SERVER.md §Client).
    static func cliError(_ error: ServerClientError) -> CLIError {
        switch error {
        case .usage(let text): CLIError(.inputError, text)
        case .network: CLIError(.inputError, error.description)
        case .protocolError: CLIError(.malformed, error.description)
        case .notActivated: CLIError(.invalidLicense, error.description)
        case .local: CLIError(.keyError, error.description)
        case .untrusted: CLIError(.untrustedSigner, error.description)
        case .refused(let status, let code, _):
            switch code {
            case _ where status == 429 || status >= 500: CLIError(.inputError, error.description)
            case "expired": CLIError(.licenseExpired, error.description)
            case "over_quota": CLIError(.loadsExhausted, error.description)
            case "wrong_model", "not_found": CLIError(.wrongModel, error.description)
            default: CLIError(.invalidLicense, error.description)
            }
        }
    }
}
