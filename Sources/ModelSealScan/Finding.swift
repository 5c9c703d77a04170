/// One reason a file is not clean, located as precisely as the file allows.
public struct Finding: Sendable, Equatable {
    /// The file on disk (as given or found by the tree walk).
    public var file: String
    /// Path inside the file: a zip member, `pickle[2]` of a pickle stream, `nested@OFFSET` for an embedded pickle;
    /// nested archives join their levels with `!`.
    public var member: String?
    /// Byte offset of the opcode or structure, relative to the member (or the file when there is none).
    public var offset: Int?
    /// The pickle opcode (`GLOBAL`, `STACK_GLOBAL`, `REDUCE`, …) when the finding comes from one.
    public var opcode: String?
    /// The global involved, `module.name` after torch's Python 2 name mapping.
    public var global: String?
    /// The rule that fired (`dangerous-global`, `unknown-global`, `zip-duplicate-name`, …; docs/SCAN.md).
    public var rule: String
    /// The verdict this finding alone implies.
    public var verdict: Verdict
    /// What it means, for a person.
    public var message: String
    /// The published advisory or writeup behind a danger-list entry, when one applies.
    public var advisory: String?

    public init(
        file: String, member: String? = nil, offset: Int? = nil, opcode: String? = nil, global: String? = nil,
        rule: String, verdict: Verdict, message: String, advisory: String? = nil
    ) {
        self.file = file
        self.member = member
        self.offset = offset
        self.opcode = opcode
        self.global = global
        self.rule = rule
        self.verdict = verdict
        self.message = message
        self.advisory = advisory
    }
}

/// The outcome for one file: its detected kind, its findings and the most severe verdict among them.
public struct FileReport: Sendable {
    public var path: String
    /// What the content was recognised as (`pytorch-zip`, `pickle`, `npy`, `torchscript`, …, or `unknown`).
    public var format: String
    public var size: Int
    public var findings: [Finding]
    /// Why the file was not judged (`not a model`, `sealed`), or nil: a skipped file has no findings and
    /// counts as clean for the exit code.
    public var skipped: String?

    public init(path: String, format: String, size: Int, findings: [Finding], skipped: String? = nil) {
        self.path = path
        self.format = format
        self.size = size
        self.findings = findings
        self.skipped = skipped
    }

    /// `clean` when there is no finding.
    public var verdict: Verdict { findings.map(\.verdict).max() ?? .clean }

    /// Reasons a file is skipped.
    public enum SkipReason {
        /// Every loader's reading of it ends before a global, a persistent id or a call.
        public static let notAModel = "not a model"
        /// A sealed ModelSeal file and no key to open it with.
        public static let sealed = "sealed"
    }
}
