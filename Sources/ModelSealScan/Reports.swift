import ModelFormats
import ModelSealCore

/// Machine-readable reports: JSON (schema `modelseal.scan/1`) and SARIF 2.1.0.
public enum ScanReports {
    /// Version of the `--json` schema (docs/SCAN.md).
    public static let schemaVersion = 1

    /// The `--json` document.
    public static func json(_ reports: [FileReport]) -> JSONValue {
        let verdict = reports.map(\.verdict).max() ?? .clean
        return .object([
            ("schema", .string("modelseal.scan/\(schemaVersion)")),
            ("verdict", .string(verdict.rawValue)),
            ("files", .array(reports.map(fileJSON))),
        ])
    }

    static func fileJSON(_ report: FileReport) -> JSONValue {
        .object([
            ("path", .string(report.path)),
            ("format", .string(report.format)),
            ("size", .integer(report.size)),
            ("verdict", .string(report.verdict.rawValue)),
            ("skipped", report.skipped.map { .string($0) } ?? .null),
            ("findings", .array(report.findings.map(findingJSON))),
        ])
    }

    static func findingJSON(_ finding: Finding) -> JSONValue {
        var fields: JSONObject = [
            ("rule", .string(finding.rule)),
            ("verdict", .string(finding.verdict.rawValue)),
            ("file", .string(finding.file)),
            ("member", finding.member.map { .string($0) } ?? .null),
            ("offset", finding.offset.map { .integer($0) } ?? .null),
            ("opcode", finding.opcode.map { .string($0) } ?? .null),
            ("global", finding.global.map { .string($0) } ?? .null),
            ("message", .string(finding.message)),
        ]
        fields.append(("advisory", finding.advisory.map { .string($0) } ?? .null))
        return .object(fields)
    }

    /// Rules with their verdicts, for SARIF's `tool.driver.rules`.
    public static let rules: [(id: String, verdict: Verdict, text: String)] = [
        ("dangerous-global", .dangerous, "A global on the danger list (runs code, processes, files, network, pickles)"),
        ("attribute-pivot", .dangerous, "A qualified name that walks through a dunder attribute"),
        ("build-on-global", .dangerous, "BUILD sets attributes on a module or class itself"),
        ("computed-global", .dangerous, "STACK_GLOBAL operands built by a call at load time"),
        ("frame-boundary", .dangerous, "An opcode straddles its FRAME: CPython may run opcodes no disassembly shows"),
        ("unknown-global", .notWeightsOnly, "A global outside the weights-only allowlist"),
        ("refused-opcode", .notWeightsOnly, "An opcode torch's weights-only unpickler refuses"),
        ("extension-code", .notWeightsOnly, "An EXT opcode resolved through the extension registry"),
        ("numpy-object-array", .notWeightsOnly, "A NumPy object array (a pickle)"),
        ("torchscript-code", .notWeightsOnly, "A TorchScript archive: code, not weights"),
        ("zip-structure", .notWeightsOnly, "Zip structure that readers resolve differently"),
        ("zip-encryption-flag-on-plain-data", .notWeightsOnly, "Encryption flag set on a plain member"),
        ("zip-encrypted", .cannotScan, "An encrypted member"),
        ("unparseable-pickle", .cannotScan, "A pickle that does not parse"),
        ("unrecognized-format", .cannotScan, "Content that is no recognised model format"),
    ]

    /// The SARIF 2.1.0 log: one result per finding, level from its verdict.
    public static func sarif(_ reports: [FileReport], toolVersion: String) -> JSONValue {
        let results: [JSONValue] = reports.flatMap { report in
            report.findings.map { finding in
                var properties: JSONObject = [("verdict", .string(finding.verdict.rawValue))]
                if let member = finding.member { properties.append(("member", .string(member))) }
                if let opcode = finding.opcode { properties.append(("opcode", .string(opcode))) }
                if let global = finding.global { properties.append(("global", .string(global))) }
                if let advisory = finding.advisory { properties.append(("advisory", .string(advisory))) }
                var physical: JSONObject = [
                    ("artifactLocation", .object([("uri", .string(uri(finding.file)))]))
                ]
                if let offset = finding.offset, finding.member == nil {
                    physical.append(
                        ("region", .object([("byteOffset", .integer(offset)), ("byteLength", .integer(1))])))
                }
                return .object([
                    ("ruleId", .string(sarifRule(finding.rule))),
                    ("level", .string(finding.verdict.sarifLevel)),
                    ("message", .object([("text", .string(describe(finding)))])),
                    ("locations", .array([.object([("physicalLocation", .object(physical))])])),
                    ("properties", .object(properties)),
                ])
            }
        }
        let rulesJSON: [JSONValue] = rules.map { rule in
            .object([
                ("id", .string(rule.id)),
                ("shortDescription", .object([("text", .string(rule.text))])),
                ("defaultConfiguration", .object([("level", .string(rule.verdict.sarifLevel))])),
                ("properties", .object([("verdict", .string(rule.verdict.rawValue))])),
            ])
        }
        return .object([
            ("$schema", .string("https://json.schemastore.org/sarif-2.1.0.json")),
            ("version", .string("2.1.0")),
            (
                "runs",
                .array([
                    .object([
                        (
                            "tool",
                            .object([
                                (
                                    "driver",
                                    .object([
                                        ("name", .string("modelseal scan")),
                                        ("version", .string(toolVersion)),
                                        ("informationUri", .string("docs/SCAN.md")),
                                        ("rules", .array(rulesJSON)),
                                    ])
                                )
                            ])
                        ),
                        ("results", .array(results)),
                    ])
                ])
            ),
        ])
    }

    /// Zip structure findings share one SARIF rule; the JSON keeps the precise kind.
    static func sarifRule(_ rule: String) -> String {
        if rule.hasPrefix("zip-"), !rules.contains(where: { $0.id == rule }) { return "zip-structure" }
        return rule
    }

    static func uri(_ path: String) -> String {
        var text = ""
        for byte in path.utf8 {
            let keep =
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || [UInt8(ascii: "/"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "~")]
                    .contains(byte)
            if keep {
                text.append(Character(Unicode.Scalar(byte)))
            } else {
                let hexDigits = Array("0123456789ABCDEF")
                text += "%" + String(hexDigits[Int(byte >> 4)]) + String(hexDigits[Int(byte & 0xF)])
            }
        }
        return text
    }

    /// One line per finding, as the text report prints it.
    public static func describe(_ finding: Finding) -> String {
        var location = ""
        if let member = finding.member { location += " member \(member)" }
        if let offset = finding.offset { location += " @\(offset)" }
        if let opcode = finding.opcode { location += " \(opcode)" }
        return "[\(finding.rule)]\(location): \(finding.message)"
    }
}
