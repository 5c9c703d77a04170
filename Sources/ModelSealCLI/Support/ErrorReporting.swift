import ArgumentParser
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
        Terminal.writeError("modelseal: error: \(error)")
        throw ExitCode(status.rawValue)
    }
}

/// Shorthand for failures the CLI detects itself.
typealias CLIError = StatusError
