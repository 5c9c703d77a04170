/// What `modelseal scan` concludes about one file, from least to most severe.
///
/// "Flagged" means anything but `clean`. `cannotScan` is never reported as clean and never as
/// malicious: it says that the scanner could not see everything the file would make Python do.
public enum Verdict: String, Sendable, CaseIterable, Comparable {
    /// Pure tensor or plain data; every global is on the allowlist; only opcodes torch's weights-only loader accepts.
    case clean
    /// Globals outside the allowlist that are not known to run code (numpy object arrays, unknown classes).
    case notWeightsOnly = "not-weights-only"
    /// Not a recognised format, an encrypted archive, or unparseable content.
    case cannotScan = "cannot-scan"
    /// Primitives known to run code, spawn processes, import modules, touch files or the network, or load pickles.
    case dangerous

    /// Ordering used for "the most severe verdict": dangerous > cannot-scan > not-weights-only > clean.
    var severity: Int {
        switch self {
        case .clean: 0
        case .notWeightsOnly: 1
        case .cannotScan: 2
        case .dangerous: 3
        }
    }

    public static func < (lhs: Verdict, rhs: Verdict) -> Bool { lhs.severity < rhs.severity }

    /// Whether this verdict needs attention.
    public var isFlagged: Bool { self != .clean }

    /// SARIF 2.1.0 `level` of a finding with this verdict.
    public var sarifLevel: String {
        switch self {
        case .clean: "none"
        case .notWeightsOnly: "warning"
        case .cannotScan: "note"
        case .dangerous: "error"
        }
    }
}
