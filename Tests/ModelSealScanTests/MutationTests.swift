import ModelFormats
import ModelSealCore
import ModelSealScan
import Testing

/// Seeded byte mutations of every vector: the scanner never traps, and always returns a verdict.
@Suite("Scan mutations")
struct MutationTests {
    /// SplitMix64: deterministic, so a failure names a reproducible seed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test("mutated vectors are scanned without trapping", arguments: ScanFixtures.vectors)
    func mutations(_ vector: ScanFixtures.Vector) throws {
        let source = try InputFile.regular(path: ScanFixtures.vectorRoot + "/" + vector.file)
        let original = try source.read(at: 0, count: source.size)
        var generator = SplitMix(state: UInt64(original.count))
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
