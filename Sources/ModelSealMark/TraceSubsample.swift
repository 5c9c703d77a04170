import Crypto

/// One run of consecutive elements of an original tensor that tracing scores.
public struct TraceSegment: Sendable, Equatable {
    /// Index of the tensor in the tracer's list of marked tensors.
    public var tensor: Int
    /// First element (a multiple of `TraceSubsample.segmentElements`).
    public var first: Int
    public var count: Int
}

/// The keyed subsample (spec/MARK.md §4): marked tensors cut into segments of 2^16 elements, ranked by
/// `HMAC-SHA256(secret, label ‖ u16be(len m) ‖ m ‖ u16be(len t) ‖ t ‖ u64be(k))`, taken in rank order while
/// the total stays within 2^22 elements. The same for every customer, so scoring n ids costs O(N + n·M).
public enum TraceSubsample {
    public static let segmentElements = 1 << 16
    public static let maxElements = 1 << 22

    /// The segments to score, in tensor order.
    public static func select(
        tensors: [(name: String, count: Int)], secret: [UInt8], modelID: String, maxElements: Int = maxElements
    ) -> [TraceSegment] {
        var all: [TraceSegment] = []
        for (index, tensor) in tensors.enumerated() {
            var first = 0
            while first < tensor.count {
                all.append(TraceSegment(tensor: index, first: first, count: min(segmentElements, tensor.count - first)))
                first += segmentElements
            }
        }
        if all.reduce(0, { $0 + $1.count }) <= maxElements { return all }
        let key = SymmetricKey(data: secret)
        let ranked = all.map { segment -> (rank: [UInt8], segment: TraceSegment) in
            var message = MarkKey.subsampleLabel
            MarkKey.appendField(Array(modelID.utf8), to: &message)
            MarkKey.appendField(Array(tensors[segment.tensor].name.utf8), to: &message)
            let k = UInt64(segment.first / segmentElements)
            for shift in stride(from: 56, through: 0, by: -8) { message.append(UInt8((k >> UInt64(shift)) & 0xFF)) }
            return (Array(HMAC<SHA256>.authenticationCode(for: message, using: key)), segment)
        }.sorted { $0.rank.lexicographicallyPrecedes($1.rank) }
        var chosen: [TraceSegment] = []
        var total = 0
        for entry in ranked where total + entry.segment.count <= maxElements {
            chosen.append(entry.segment)
            total += entry.segment.count
        }
        return chosen.sorted { ($0.tensor, $0.first) < ($1.tensor, $1.first) }
    }
}
