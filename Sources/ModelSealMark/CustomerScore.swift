/// One customer's score on the subsample: the Rademacher sums of agreements minus disagreements
/// between their pattern and the residual signs, over all valid elements and over the tail elements.
public struct CustomerScore: Sendable, Equatable {
    public var customer: String
    public var sumAll: Int
    public var countAll: Int
    public var sumTail: Int
    public var countTail: Int

    /// `S / √m` over all valid elements.
    public var zAll: Double { countAll > 0 ? Double(sumAll) / Double(countAll).squareRoot() : 0 }
    /// `S / √m` over the tail elements (what survives coarse quantization).
    public var zTail: Double { countTail > 0 ? Double(sumTail) / Double(countTail).squareRoot() : 0 }
    /// The larger of the two statistics (both count as tests in the family-wise bound).
    public var z: Double { max(zAll, zTail) }

    /// Scores `key`'s pattern against the segments' residual bits.
    static func score(
        customer: String, key: MarkKey, segments: [TraceSegment], bits: [ResidualBits], nonces: [[UInt8]]
    ) throws(MarkError) -> CustomerScore {
        var disagreeAll = 0
        var disagreeTail = 0
        var countAll = 0
        var countTail = 0
        for (segment, evidence) in zip(segments, bits) {
            let pattern = try key.patternBytes(
                nonce: nonces[segment.tensor], firstElement: segment.first, count: segment.count)
            let (all, tail) = disagreements(pattern, evidence)
            disagreeAll += all
            disagreeTail += tail
            countAll += evidence.validCount
            countTail += evidence.tailCount
        }
        return CustomerScore(
            customer: customer, sumAll: countAll - 2 * disagreeAll, countAll: countAll,
            sumTail: countTail - 2 * disagreeTail, countTail: countTail)
    }

    /// Pattern bits that differ from the residual signs, among the valid and among the tail elements.
    static func disagreements(_ pattern: [UInt8], _ evidence: ResidualBits) -> (all: Int, tail: Int) {
        var words = [UInt64](repeating: 0, count: evidence.valid.count)
        words.withUnsafeMutableBytes { target in
            pattern.withUnsafeBytes { source in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source.prefix(target.count)))
            }
        }
        var all = 0
        var tail = 0
        words.withUnsafeBufferPointer { key in
            evidence.positive.withUnsafeBufferPointer { positive in
                evidence.valid.withUnsafeBufferPointer { valid in
                    evidence.tail.withUnsafeBufferPointer { tailMask in
                        for word in 0..<key.count {
                            let differs = UInt64(littleEndian: key[word]) ^ positive[word]
                            all &+= (differs & valid[word]).nonzeroBitCount
                            tail &+= (differs & tailMask[word]).nonzeroBitCount
                        }
                    }
                }
            }
        }
        return (all, tail)
    }
}
