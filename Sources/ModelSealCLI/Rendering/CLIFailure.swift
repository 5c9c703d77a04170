import ArgumentParser
import ModelFormats

/// Exit statuses of `inspect` and `convert` (docs/CLI-inspect-convert.md).
enum FormatExitCode {
    /// Not a recognised model file, or malformed.
    static let dataError: Int32 = 65
    /// Input missing or unreadable.
    static let noInput: Int32 = 66
    /// The file uses a feature we do not model.
    static let unsupported: Int32 = 69
    /// Output cannot be created or written.
    static let cannotCreate: Int32 = 73
    /// Conversion refused by policy (shared storages, non-tensor data, existing output).
    static let refused: Int32 = 2
}

/// Turns failures into a message on standard error and an exit status.
enum FormatFailure {
/// Prints `message` to standard error and returns the exit status `code`.
static func report(_ message: String, code: Int32) -> ExitCode {
    var standardError = StandardError()
    print("modelseal: \(message)", to: &standardError)
    return ExitCode(code)
}

/// Maps a library error to its message and exit status; `output` names the file being written, if any.
static func exit(for error: ModelFormatsError, input: String, output: String? = nil) -> ExitCode {
    switch error {
    case let .io(path, _, _):
        return report(error.description, code: path == output ? FormatExitCode.cannotCreate : FormatExitCode.noInput)
    case .unsupported:
        return report("\(input): \(error.description)", code: FormatExitCode.unsupported)
    case .conversionRefused:
        return report("\(input): \(error.description)", code: FormatExitCode.refused)
    case .unrecognizedFormat:
        return report(error.description, code: FormatExitCode.dataError)
    default:
        return report("\(input): \(error.description)", code: FormatExitCode.dataError)
    }
}
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var bytes = Array(string.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var done = 0
            while done < buffer.count {
                guard let base = buffer.baseAddress else { return }
                let written = systemWriteStandardError(base + done, buffer.count - done)
                if written <= 0 { return }
                done += written
            }
        }
    }
}
