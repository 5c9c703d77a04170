import ModelFormats
import ModelSealCore
import ModelSealScan
import TestSupport
import Testing

/// Seeded byte mutations of every vector: the scanner never traps, and always returns a verdict.
@Suite("Scan mutations")
struct MutationTests {
    @Test("mutated vectors are scanned without trapping", arguments: ScanFixtures.vectors)
    func mutations(_ vector: ScanFixtures.Vector) throws {
        let source = try InputFile.regular(path: ScanFixtures.vectorRoot + "/" + vector.file)
        // The two denial-of-service samples (a 1 MB set, a 256 MiB bomb) have their own bounded-time tests.
        guard source.size <= 256 << 10 else { return }
        let original = try source.read(at: 0, count: source.size)
        var generator = SplitMix64(seed: UInt64(original.count))
        let scanner = Scanner()
        for round in 0..<200 {
            var bytes = original
            for _ in 0...(round % 4) {
                let position = Int(generator.next() % UInt64(bytes.count))
                bytes[position] = UInt8(truncatingIfNeeded: generator.next())
            }
            if round % 10 == 9 { bytes.removeLast(Int(generator.next() % UInt64(bytes.count))) }
            let report = scanner.scan(MemorySource(bytes), path: vector.file)
            #expect(Verdict.allCases.contains(report.verdict))
        }
    }
}
