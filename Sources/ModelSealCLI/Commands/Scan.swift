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
                Walks directories recursively and looks inside zip archives (every member, nested archives), \
                legacy and zip PyTorch checkpoints, bare pickles, NumPy .npy/.npz and safetensors, deciding by \
                content, not by extension. Nothing in a file is executed.

                Verdicts (exit code = the most severe one; docs/SCAN.md):
                  clean             0   tensor data, plain data, allowlisted globals only
                  not-weights-only  53  globals outside the allowlist not known to run
                                        code; TorchScript; ambiguous zip structure
                  dangerous         54  calls that run code, spawn processes, import
                                        modules, open files or sockets, load pickles;
                                        FRAME tricks, computed STACK_GLOBAL names
                  cannot-scan       55  unknown format, encrypted or unparseable content

                Examples:
                  modelseal scan model.pt
                  modelseal scan --json models/
                  modelseal scan --sarif --allow-global mypkg.MyConfig checkpoints/ > scan.sarif
                """
        )

        @Argument(help: ArgumentHelp("Files or directories to scan.", valueName: "PATH"))
        var paths: [String]

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
            if paths.isEmpty { throw ValidationError("give at least one PATH") }
        }

        func run() throws {
            let scanner = Scanner(allowedGlobals: allowedGlobals)
            let reports = scanner.scan(TreeWalker.files(under: paths))
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
            for report in reports {
                counts[report.verdict, default: 0] += 1
                text += "\(report.verdict.rawValue)  \(report.path)  (\(report.format))\n"
                for finding in report.findings { text += "    \(ScanReports.describe(finding))\n" }
            }
            let summary = Verdict.allCases.map { "\(counts[$0, default: 0]) \($0.rawValue)" }.joined(separator: ", ")
            return text + "\(reports.count) file(s): \(summary)\n"
        }
    }
}
