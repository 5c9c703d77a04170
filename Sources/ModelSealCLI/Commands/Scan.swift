import ArgumentParser
import ModelFormats
import ModelSealCore
import ModelSealKit
import ModelSealScan

extension ModelSeal {
    /// `modelseal scan PATH...`: allowlist-based safety verdicts for model files, executing nothing.
    struct Scan: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "scan",
            abstract: "Scan model files for code that loading them would run (allowlist, not guesses).",
            discussion: """
                Walks directories recursively and judges each file under every reading a loader could give it \
                (torch.load: zip at offset 0, tar, else pickles from byte 0; np.load: npz, npy, else a pickle; \
                pickle.load from byte 0), each as far as that loader gets; the verdict is the worst. Looks inside \
                zip archives (every member, nested archives), NumPy object arrays and safetensors. Files that no \
                loader reads to a global, call or persistent id (a README) are skipped as "not a model", sealed \
                files without a key as "sealed"; --all reports them as cannot-scan. Nothing in a file is executed.

                Verdicts (exit code = the most severe one; docs/SCAN.md):
                  clean             0   tensor data, plain data, allowlisted globals only
                  not-weights-only  53  globals outside the allowlist not known to run
                                        code; TorchScript; ambiguous zip structure;
                                        a load that breaks part-way
                  dangerous         54  calls that run code, spawn processes, import
                                        modules, open files or sockets, load pickles;
                                        FRAME tricks, computed STACK_GLOBAL names
                  cannot-scan       55  encrypted or unopened archives, scan caps

                Examples:
                  modelseal scan model.pt
                  modelseal scan --json models/
                  modelseal scan --sarif --allow-global mypkg.MyConfig checkpoints/ \\
                      > scan.sarif
                  modelseal scan --key-env MODEL_KEY received/
                """
        )

        @Argument(help: ArgumentHelp("Files or directories to scan.", valueName: "PATH"))
        var paths: [String] = []

        @Option(
            name: .customLong("files-from"),
            help: ArgumentHelp(
                "Also scan the paths listed in FILE, one per line (- for standard input): one process for a batch.",
                valueName: "FILE"))
        var filesFrom: String?

        @Flag(
            help:
                "Report files that are not models (and sealed files without a key) as cannot-scan instead of skipping them."
        )
        var all = false

        @OptionGroup(title: "Keys for sealed files (scanned in memory; without one they are skipped)")
        var identities: IdentityOptions

        @Option(
            help: ArgumentHelp(
                "Open sealed files with a machine-bound license to scan them (counts a load).", valueName: "FILE"))
        var license: String?

        @Flag(help: "Print JSON (schema modelseal.scan/1, see docs/SCAN.md).")
        var json = false

        @Flag(help: "Print a SARIF 2.1.0 log.")
        var sarif = false

        @Option(
            name: .customLong("allow-global"),
            help: ArgumentHelp(
                "Treat MODULE.NAME as allowed (repeatable); danger-list names stay dangerous.", valueName: "MODULE.NAME"
            ))
        var allowedGlobals: [String] = []

        func validate() throws {
            if json && sarif { throw ValidationError("--json and --sarif cannot be combined") }
            if paths.isEmpty && filesFrom == nil { throw ValidationError("give at least one PATH") }
            if !identities.isEmpty && license != nil {
                throw ValidationError("--license is the key: drop the other key options")
            }
        }

        func run() throws {
            try reportingErrors(json: json) { try execute() }
        }

        private func execute() throws {
            var scanner = Scanner(allowedGlobals: allowedGlobals, insistOnAll: all)
            if !identities.isEmpty || license != nil {
                var opener = ModelOpener(identities: license == nil ? try identities.resolve() : [])
                opener.license = try license.map { try LicenseGate(path: $0, use: .memory) }
                let shared = SharedOpener(opener: opener)
                scanner.unseal = { path in try shared.opener.plaintext(ofFileAt: path) }
            }
            var targets = paths
            if let filesFrom {
                let bytes = try SmallFile.read(filesFrom, limit: 256 << 20)
                targets += String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
            }
            let reports = scanner.scan(TreeWalker.files(under: targets))
            if json {
                JSONOutput.print(ScanReports.json(reports))
            } else if sarif {
                JSONOutput.print(ScanReports.sarif(reports, toolVersion: ModelSeal.version))
            } else {
                Terminal.writeOutput(render(reports))
            }
            let worst = reports.map(\.verdict).max() ?? .clean
            let status = Self.status(of: worst)
            if status != .success { throw ExitCode(status.rawValue) }
        }

        /// The exit status of a verdict.
        static func status(of verdict: Verdict) -> StatusCode {
            switch verdict {
            case .clean: .success
            case .notWeightsOnly: .scanNotWeightsOnly
            case .dangerous: .scanDangerous
            case .cannotScan: .scanCannotScan
            }
        }

        private func render(_ reports: [FileReport]) -> String {
            var text = ""
            var counts: [Verdict: Int] = [:]
            var skipped = 0
            for report in reports {
                if let reason = report.skipped {
                    skipped += 1
                    text += "skipped: \(reason)  \(report.path)\n"
                    continue
                }
                counts[report.verdict, default: 0] += 1
                text += "\(report.verdict.rawValue)  \(report.path)  (\(report.format))\n"
                for finding in report.findings { text += "    \(ScanReports.describe(finding))\n" }
            }
            let summary = Verdict.allCases.map { "\(counts[$0, default: 0]) \($0.rawValue)" }.joined(separator: ", ")
            return text + "\(reports.count) file(s): \(summary), \(skipped) skipped\n"
        }
    }
}

/// The opener shared by the scanner's worker threads (it holds keys and no mutable state of its own).
private final class SharedOpener: @unchecked Sendable {
    let opener: ModelOpener
    init(opener: ModelOpener) { self.opener = opener }
}
