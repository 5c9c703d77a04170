import ModelFormats
import ModelSealCore
import ModelSealScan

/// Paths and manifest parsing shared by the scan tests.
enum ScanFixtures {
    /// The repository root (this file is Tests/ModelSealScanTests/ScanTestSupport.swift).
    static let repositoryRoot: String = {
        var parts = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    /// `../shared/corpus/pickles` next to the repository (CI lays out the same relative path).
    static let corpusRoot = repositoryRoot + "/../shared/corpus/pickles"

    static let vectorRoot = repositoryRoot + "/Tests/Vectors/scan"

    /// Rows of a tab-separated manifest after its header line.
    static func rows(_ path: String) -> [[String]] {
        guard let source = try? InputFile.regular(path: path), let bytes = try? source.read(at: 0, count: source.size)
        else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").dropFirst().map {
            $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
    }

    struct CorpusSample: Sendable, CustomStringConvertible {
        let file: String
        let expected: String
        let why: String
        var description: String { file }
    }

    static let corpus: [CorpusSample] = rows(corpusRoot + "/EXPECTED.tsv").compactMap {
        $0.count >= 4 ? CorpusSample(file: $0[0], expected: $0[1], why: $0[3]) : nil
    }

    struct Vector: Sendable, CustomStringConvertible {
        let file: String
        let expect: String
        let rule: String
        var description: String { file }
    }

    static let vectors: [Vector] = rows(vectorRoot + "/EXPECTED.tsv").compactMap {
        $0.count >= 3 ? Vector(file: $0[0], expect: $0[1], rule: $0[2]) : nil
    }
}
