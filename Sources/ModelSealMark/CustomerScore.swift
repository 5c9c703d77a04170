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
            pattern.withUnsafeBytes { raw in
                for word in 0..<evidence.valid.count {
                    let start = word * 8
                    var value: UInt64 = 0
                    if start + 8 <= raw.count {
                        value = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: start, as: UInt64.self))
                    } else {
                        for byte in start..<raw.count { value |= UInt64(raw[byte]) << UInt64(8 * (byte - start)) }
                    }
                    let differs = value ^ evidence.positive[word]
                    disagreeAll += (differs & evidence.valid[word]).nonzeroBitCount
                    disagreeTail += (differs & evidence.tail[word]).nonzeroBitCount
                }
            }
            countAll += evidence.validCount
            countTail += evidence.tailCount
        }
        return CustomerScore(
            customer: customer, sumAll: countAll - 2 * disagreeAll, countAll: countAll,
            sumTail: countTail - 2 * disagreeTail, countTail: countTail)
    }
}
