import ModelSealScan
import Testing

/// The shared corpus of real samples from picklescan's and modelscan's test suites (EXPECTED.tsv).
@Suite("Scan corpus")
struct CorpusTests {
    static let scanner = Scanner()

    @Test("the corpus manifest is present and complete")
    func manifestPresent() {
        #expect(ScanFixtures.corpus.count >= 100, "expected ../shared/corpus/pickles/EXPECTED.tsv next to the repo")
    }

    @Test("every malicious sample is flagged; no benign sample is called dangerous", arguments: ScanFixtures.corpus)
    func sample(_ sample: ScanFixtures.CorpusSample) {
        let report = Self.scanner.scan(path: ScanFixtures.corpusRoot + "/" + sample.file)
        switch sample.expected {
        case "malicious":
            #expect(report.verdict.isFlagged, "missed: \(sample.file) — \(sample.why)")
        default:
            #expect(report.verdict != .dangerous, "benign called dangerous: \(sample.file) \(report.findings)")
        }
    }

    @Test(
        "encrypted zips and unopened archives are cannot-scan",
        arguments: [
            "modelscan/tests/data/password_protected.zip", "picklescan/tests/data/benign_password_protected.zip",
            "picklescan/tests/data/malicious1.7z",
        ])
    func cannotScan(_ file: String) {
        let report = Self.scanner.scan(path: ScanFixtures.corpusRoot + "/" + file)
        #expect(report.verdict == .cannotScan, "\(file): \(report.findings)")
    }

    @Test(
        "files no loader reads to a global are skipped as not a model; with --all they are cannot-scan",
        arguments: ["picklescan/tests/data/bad_pytorch.pt", "picklescan/tests/data/not_a_pickle.bin"])
    func notAModel(_ file: String) {
        let report = Self.scanner.scan(path: ScanFixtures.corpusRoot + "/" + file)
        #expect(report.skipped == FileReport.SkipReason.notAModel && report.findings.isEmpty, "\(report.findings)")
        let insisting = Scanner(insistOnAll: true).scan(path: ScanFixtures.corpusRoot + "/" + file)
        #expect(insisting.skipped == nil && insisting.verdict == .cannotScan, "\(insisting.findings)")
    }

    @Test(
        "real torch checkpoints and plain data in the corpus are clean",
        arguments: [
            "picklescan/tests/data/new_pytorch_model.bin", "picklescan/tests/data/pytorch_model.bin",
            "picklescan/tests/data/benign0_v0.pkl", "picklescan/tests/data/benign0_v3.pkl",
            "picklescan/tests/data/benign0_v4.pkl", "picklescan/tests/data2/int_array.npy",
            "picklescan/tests/data2/int_arrays.npz", "picklescan/tests/data2/int_arrays_compressed.npz",
        ])
    func clean(_ file: String) {
        let report = Self.scanner.scan(path: ScanFixtures.corpusRoot + "/" + file)
        #expect(report.verdict == .clean, "\(file): \(report.findings)")
    }

    @Test("dangerous samples name the global, member and offset")
    func locations() throws {
        let report = Self.scanner.scan(
            path: ScanFixtures.corpusRoot + "/picklescan/tests/data/malicious1_wrong_ext.zip")
        let finding = try #require(report.findings.first { $0.rule == "dangerous-global" })
        #expect(finding.global == "builtins.eval")
        #expect(finding.member == "data.txt")
        #expect(finding.offset != nil)
        #expect(finding.opcode != nil)
    }
}
