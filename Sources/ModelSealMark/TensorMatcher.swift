/// Where each marked tensor of the original is in the suspect: same name and shape first, then (renamed
/// keys) the same shape or, for matrices, the transposed shape, choosing by correlation with the original.
struct TensorMatch: Sendable {
    var suspect: WeightTensor
    var transposed: Bool
    var byName: Bool
}

enum TensorMatcher {
    /// Elements compared when several suspect tensors have the right shape.
    static let probeElements = 4096
    /// Smallest |correlation| accepted for a match by shape.
    static let minimumCorrelation = 0.5
    /// Most (original, suspect) pairs compared by correlation: a suspect with a million same-shape tensors
    /// is refused instead of keeping the tracer busy for hours.
    static let maxComparisons = 1 << 16

    static func match(_ originals: [WeightTensor], original: WeightFile, suspect: WeightFile) throws -> [Int:
        TensorMatch]
    {
        let candidates = suspect.tensors.filter { $0.markDType != nil && $0.fileRange != nil } + suspect.dequantized
        var matches: [Int: TensorMatch] = [:]
        var used: Set<String> = []
        for (index, tensor) in originals.enumerated() {
            if let same = candidates.first(where: { $0.name == tensor.name && $0.shape == tensor.shape }) {
                matches[index] = TensorMatch(suspect: same, transposed: false, byName: true)
                used.insert(same.name)
            }
        }
        var pairs: [(score: Double, original: Int, candidate: WeightTensor, transposed: Bool)] = []
        var probes: [String: [Float]] = [:]
        var comparisons = 0
        for (index, tensor) in originals.enumerated() where matches[index] == nil {
            let probe = try original.floats(tensor, elements: 0..<probeElements)
            for candidate in candidates where !used.contains(candidate.name) {
                let transposed =
                    tensor.shape.count == 2 && candidate.shape == tensor.shape.reversed()
                    && tensor.shape[0] != tensor.shape[1]
                guard candidate.shape == tensor.shape || transposed else { continue }
                comparisons += 1
                guard comparisons <= maxComparisons else {
                    throw MarkError.unsupported(
                        "the suspect holds too many same-shape tensors to match by shape (over \(maxComparisons) "
                            + "comparisons): give them the original's names")
                }
                let values: [Float]
                if transposed {
                    values = try transposedProbe(candidate, in: suspect, columns: tensor.shape[1], count: probe.count)
                } else if let cached = probes[candidate.name] {
                    values = cached
                } else {
                    values = try suspect.floats(candidate, elements: 0..<probeElements)
                    probes[candidate.name] = values
                }
                let score = abs(correlation(probe, values))
                if score >= minimumCorrelation { pairs.append((score, index, candidate, transposed)) }
            }
        }
        for pair in pairs.sorted(by: { $0.score > $1.score })
        where matches[pair.original] == nil && !used.contains(pair.candidate.name) {
            matches[pair.original] = TensorMatch(suspect: pair.candidate, transposed: pair.transposed, byName: false)
            used.insert(pair.candidate.name)
        }
        return matches
    }

    /// The first `count` elements, in the original's row-major order, of a suspect stored transposed.
    static func transposedProbe(_ tensor: WeightTensor, in file: WeightFile, columns: Int, count: Int) throws
        -> [Float]
    {
        let all = try file.floats(tensor)
        let rows = all.count / max(1, columns)
        return (0..<count).map { index in all[(index % columns) * rows + index / columns] }
    }

    /// Pearson correlation of two equally long vectors (0 when either is constant).
    static func correlation(_ a: [Float], _ b: [Float]) -> Double {
        let count = min(a.count, b.count)
        guard count > 1 else { return 0 }
        var sa = 0.0, sb = 0.0, saa = 0.0, sbb = 0.0, sab = 0.0
        for index in 0..<count {
            let x = Double(a[index]), y = Double(b[index])
            guard x.isFinite, y.isFinite else { continue }
            sa += x
            sb += y
            saa += x * x
            sbb += y * y
            sab += x * y
        }
        let n = Double(count)
        let cov = sab - sa * sb / n
        let va = saa - sa * sa / n
        let vb = sbb - sb * sb / n
        guard va > 0, vb > 0 else { return 0 }
        return cov / (va * vb).squareRoot()
    }
}
