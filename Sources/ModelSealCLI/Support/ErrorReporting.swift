import ArgumentParser
import ModelSealCore
import ModelSealKit

/// Runs a command body, turning every error into a one-line message and its exit status.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch let error as ValidationError {
        throw error
    } catch {
        let status = StatusCode(for: error)
        if let error = error as? IOError {
            let what = status == .outputError ? "cannot write output" : "cannot read input"
            Terminal.writeError("modelseal: error: \(what): \(error)")
        } else {
            Terminal.writeError("modelseal: error: \(error)")
        }
        throw ExitCode(status.rawValue)
    }
}

/// Shorthand for failures the CLI detects itself.
typealias CLIError = StatusError
