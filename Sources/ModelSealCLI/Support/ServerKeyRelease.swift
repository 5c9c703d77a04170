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
    static func cliError(_ error: ServerClientError) -> CLIError { error.statusError }
}
