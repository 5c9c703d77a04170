#if canImport(Glibc)
    import Glibc
#endif

/// Standard error, terminals and passphrase prompts.
enum Terminal {
    /// Writes a line to standard error.
    static func writeError(_ line: String) {
        let text = line + "\n"
        _ = text.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
    }

    /// Writes text to standard output without buffering surprises.
    static func writeOutput(_ text: String) {
        _ = text.utf8CString.withUnsafeBufferPointer { write(1, $0.baseAddress, $0.count - 1) }
    }

    static var standardErrorIsTerminal: Bool { isatty(2) == 1 }
    static var standardOutputIsTerminal: Bool { isatty(1) == 1 }

}

/// A progress bar on standard error, drawn only on a terminal and for large inputs.
final class ProgressBar: @unchecked Sendable {
    let total: Int
    let label: String
    var lastPercent = -1

    /// `nil` unless standard error is a terminal and the input is at least 64 MiB.
    static func make(label: String, total: Int, quiet: Bool) -> ProgressBar? {
        guard !quiet, total >= 64 << 20, Terminal.standardErrorIsTerminal else { return nil }
        return ProgressBar(label: label, total: total)
    }

    private init(label: String, total: Int) {
        self.label = label
        self.total = total
    }

    /// `update` as a callback for the libraries' progress parameters.
    var callback: @Sendable (Int) -> Void { { [self] done in self.update(done) } }

    func update(_ done: Int) {
        let percent = total > 0 ? min(100, done * 100 / total) : 100
        guard percent != lastPercent else { return }
        lastPercent = percent
        let filled = percent * 30 / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: 30 - filled)
        let text = "\r\(label) [\(bar)] \(percent)% \(done >> 20)/\(total >> 20) MiB"
        _ = text.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
    }

    func finish() {
        _ = "\r\u{1B}[K".utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
    }
}
