import ArgumentParser
import ModelSealCore
import ModelSealKit

/// Runs a command body, turning every error into a one-line message and its exit status.
///
/// With `json` (the command's `--json`), a failure also prints a JSON error object on standard
/// output, unless the command already printed its JSON report there (`env check` prints the report of
/// a mismatch, then exits 40): `{"error": {"exception": …, "message": …, "status": N}, "schema": 1}`.
func reportingErrors(json: Bool = false, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch let error as ValidationError {
        throw error
    } catch {
        let status = StatusCode(for: error)
        let message: String
        if let error = error as? IOError {
            let what = status == .outputError ? "cannot write output" : "cannot read input"
            message = "\(what): \(error)"
        } else {
            message = "\(error)"
        }
        Terminal.writeError("modelseal: error: \(message)")
        if json && !JSONOutput.printed {
            JSONOutput.print(
                .object([
                    "error": .object([
                        "exception": .string(status.pythonException), "message": .string(message),
                        "status": .number(String(status.rawValue)),
                    ]),
                    "schema": .number("1"),
                ]))
        }
        throw ExitCode(status.rawValue)
    }
}

/// Shorthand for failures the CLI detects itself.
typealias CLIError = StatusError
