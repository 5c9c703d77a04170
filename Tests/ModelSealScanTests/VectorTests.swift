import ModelFormats
import ModelSealCore
import ModelSealScan
import Testing

/// Our own samples, one per published technique (scripts/gen-scan-vectors.py).
@Suite("Scan vectors")
struct VectorTests {
    static let scanner = Scanner()

    @Test("each technique's sample is caught by its rule", arguments: ScanFixtures.vectors)
    func vector(_ vector: ScanFixtures.Vector) {
        let report = Self.scanner.scan(path: ScanFixtures.vectorRoot + "/" + vector.file)
        switch vector.expect {
        case "flagged": #expect(report.verdict.isFlagged, "\(vector.file): \(report.findings)")
        case "skipped": #expect(report.skipped != nil && report.findings.isEmpty, "\(vector.file): \(report.findings)")
        default: #expect(report.verdict.rawValue == vector.expect, "\(vector.file): \(report.findings)")
        }
        if vector.rule != "none" {
            #expect(report.findings.contains { $0.rule == vector.rule }, "\(vector.file): \(report.findings)")
        }
    }

    @Test("vectors cover every technique")
    func coverage() {
        #expect(ScanFixtures.vectors.count >= 20)
    }

    @Test("a nested pickle's own call is reported inside it")
    func nested() {
        let report = Self.scanner.scan(path: ScanFixtures.vectorRoot + "/nested_pickle.pkl")
        #expect(report.findings.contains { $0.global == "os.system" && ($0.member ?? "").contains("nested@") })
    }

    @Test("--allow-global turns an unknown class clean, never a dangerous one")
    func allowGlobal() {
        let allowed = Scanner(allowedGlobals: ["mypackage.config.TrainingConfig", "os.system"])
        #expect(allowed.scan(path: ScanFixtures.vectorRoot + "/unknown_global.pkl").verdict == .clean)
        #expect(allowed.scan(path: ScanFixtures.vectorRoot + "/stack_global_memo.pkl").verdict == .dangerous)
    }

    @Test("the danger list matches by dotted prefix")
    func dangerList() {
        #expect(DangerList.match(module: "builtins", name: "eval.__call__")?.pattern == "builtins.eval")
        #expect(DangerList.match(module: "torch._inductor.codecache", name: "compile_file") != nil)
        #expect(DangerList.match(module: "collections", name: "OrderedDict") == nil)
        #expect(DangerList.entries.allSatisfy { !$0.source.isEmpty })
    }

    @Test("reports: JSON schema and SARIF levels")
    func reports() {
        let report = Self.scanner.scan(path: ScanFixtures.vectorRoot + "/zip_extra_pickle_member.pt")
        let json = JSONWriter.serialize(ScanReports.json([report]))
        #expect(json.contains("\"schema\":\"modelseal.scan/1\""))
        #expect(json.contains("\"verdict\":\"dangerous\""))
        let sarif = JSONWriter.serialize(ScanReports.sarif([report], toolVersion: "test"))
        #expect(sarif.contains("\"version\":\"2.1.0\""))
        #expect(sarif.contains("\"level\":\"error\""))
    }

    @Test("the tree walker recurses in name order")
    func treeWalker() {
        let items = TreeWalker.files(under: [ScanFixtures.vectorRoot])
        let files = items.compactMap { if case let .file(path) = $0 { path } else { nil } }
        #expect(files.count == ScanFixtures.vectors.count + 2)  // + EXPECTED.tsv, ORACLE-DIFFERENCES.tsv
        #expect(files == files.sorted())
    }
}
