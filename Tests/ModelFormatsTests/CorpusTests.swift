import ModelSealCore
import Testing

@testable import ModelFormats

#if canImport(Glibc)
    import Glibc
#endif

/// The scanner corpus (../shared/corpus): real malicious pickles, read at opcode level only.
@Suite("Scanner corpus")
struct CorpusTests {
    static let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/") + "/../shared/corpus/pickles"
    }()

    static func files() -> [String] {
        guard let manifest = try? InputFile.regular(path: root + "/EXPECTED.tsv"),
            let bytes = try? manifest.read(at: 0, count: manifest.size)
        else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").dropFirst().compactMap { line in
            line.split(separator: "\t").first.map(String.init)
        }
    }

    @Test("every corpus file is read or refused cleanly, and malicious ones show a non-allowed global")
    func corpus() throws {
        let files = Self.files()
        try #require(!files.isEmpty, "corpus not found at \(Self.root)")
        var flagged = 0
        var malicious = 0
        for file in files {
            guard let source = try? InputFile.regular(path: Self.root + "/" + file) else { continue }
            let bytes = (try? source.read(at: 0, count: min(source.size, 64 << 20))) ?? []
            var globals: [GlobalReference] = []
            if let format = try? ModelFileFormat.detect(source), format == .pytorchZip || format == .npz {
                if let archive = try? ZipArchive(source: source, strict: false) {
                    for entry in archive.entries where entry.name.hasSuffix(".pkl") {
                        if let data = try? archive.read(entry, limit: 64 << 20),
                            let result = try? PickleMachine().run(data)
                        {
                            globals += result.globals
                        }
                    }
                }
            } else if let result = try? PickleMachine().run(bytes) {
                globals = result.globals
            } else if let inspection = try? ModelInspection.inspect(source) {
                globals = inspection.globals
            }
            if file.contains("malicious") || file.contains("GHSA") { malicious += 1 }
            if globals.contains(where: { $0.status == .unknown || $0.status == .blocked }) { flagged += 1 }
        }
        #expect(flagged > 0)
        #expect(malicious > 0)
    }

    @Test("a legacy layout whose magic number is computed by eval is shown as a pickle stream with every global")
    func magicBypass() throws {
        let path = Self.root + "/picklescan/tests/data/pytorch_magic_bypass.pt"
        guard let source = try? InputFile.regular(path: path) else { return }
        let inspection = try #require(try ModelInspection.inspect(source))
        #expect(inspection.format == .pickle)
        let names = Dictionary(uniqueKeysWithValues: inspection.globals.map { ($0.fullName, $0.status) })
        #expect(names["builtins.eval"] == .unknown)
        #expect(names["posix.system"] == .blocked)
        #expect(!inspection.isPureTensorData)
    }

    @Test("a PNG named .pt is not a model file")
    func notAModel() throws {
        let path = Self.root + "/picklescan/tests/data/bad_pytorch.pt"
        guard let source = try? InputFile.regular(path: path) else { return }
        #expect(try ModelInspection.inspect(source) == nil)
    }
}
