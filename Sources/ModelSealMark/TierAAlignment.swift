import ModelSealCore

/// Where each marked element of the original sits in the suspect after undoing permutations of hidden units
/// (spec/MARK.md §8.5): original index → suspect index, for rows and for columns (all dimensions after the first,
/// flattened).
struct IndexMaps: Sendable {
    var rows: [Int]?
    var columns: [Int]?
}

/// Tier A's alignment: the permutation of each slot recovered by matching the suspect's units to the original's
/// (correlation of their feature weights, then greedy assignment), and the index maps Tier B reads through.
struct TierAAlignment: Sendable {
    /// Per slot: suspect unit `j` is original unit `recovered[s][j]`; `nil` when no feature tensor of the slot
    /// was found in the suspect with the original's shape.
    var recovered: [[Int]?]
    var maps: [String: IndexMaps]
    /// Units found away from their original position.
    var unitsMoved: Int
    /// Where each original tensor is in the suspect: the matches given, and those found by alignment.
    var matches: [String: TensorMatch]

    /// Elements of a unit compared (two random unit vectors of 64 elements correlate with standard deviation
    /// 1/8; a unit and its noisy or quantized self above 0.9).
    static let featureLength = 64
    /// Smallest correlation taken as a match.
    static let minimumCorrelation: Float = 0.5

    /// Aligns every slot (spec/MARK.md §8.5): in passes over the slots, each slot whose feature tensor has its
    /// other axis already in place; then the rest as they are. `matches` (by original name) grows by the
    /// tensors found by alignment: renamed and permuted copies.
    static func align(
        slots: [PermutationSlot], original: WeightFile, suspect: WeightFile, matches: [String: TensorMatch]
    ) throws -> TierAAlignment {
        var work = Work(slots: slots, original: original, suspect: suspect, matches: matches)
        var progress = true
        while progress {
            progress = false
            for slot in slots.indices where work.recovered[slot] == nil {
                if try work.alignIfReady(slot, strict: true) { progress = true }
            }
        }
        for slot in slots.indices where work.recovered[slot] == nil { _ = try work.alignIfReady(slot, strict: false) }
        try work.matchThroughMaps()
        return TierAAlignment(
            recovered: work.recovered, maps: work.maps, unitsMoved: work.moved, matches: work.matches)
    }

    /// Adds one edge's moves to a tensor's maps.
    static func extend(_ maps: inout IndexMaps, shape: [Int], edge: PermutationSlot.Edge, position: [Int]) {
        let inner = shape.dropFirst(max(1, edge.axis + 1)).reduce(1, *)
        if edge.axis == 0 {
            var rows = maps.rows ?? Array(0..<shape[0])
            for (unit, to) in position.enumerated() {
                for i in 0..<edge.block {
                    rows[edge.offset + unit * edge.block + i] = edge.offset + to * edge.block + i
                }
            }
            maps.rows = rows
        } else {
            var columns = maps.columns ?? Array(0..<shape.dropFirst().reduce(1, *))
            for (unit, to) in position.enumerated() {
                for i in 0..<(edge.block * inner) {
                    columns[(edge.offset + unit * edge.block) * inner + i] = (edge.offset + to * edge.block) * inner + i
                }
            }
            maps.columns = columns
        }
    }

    /// The first `featureLength` elements of each unit's slice along `edge` (zeros past the slice's end),
    /// centred and scaled to unit norm: `units × featureLength` values.
    static func features(_ values: [Float], shape: [Int], edge: PermutationSlot.Edge, units: Int) -> [Float] {
        let inner = shape.dropFirst(edge.axis + 1).reduce(1, *)
        let outer = shape.prefix(edge.axis).reduce(1, *)
        let span = shape[edge.axis] * inner
        var flat = [Float](repeating: 0, count: units * featureLength)
        for unit in 0..<units {
            var vector: [Float] = []
            vector.reserveCapacity(featureLength)
            outer: for index in 0..<outer {
                let start = index * span + (edge.offset + unit * edge.block) * inner
                for k in 0..<(edge.block * inner) {
                    vector.append(values[start + k].isFinite ? values[start + k] : 0)
                    if vector.count == featureLength { break outer }
                }
            }
            let mean = vector.reduce(0, +) / Float(max(1, vector.count))
            vector = vector.map { $0 - mean }
            let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for (k, value) in vector.enumerated() { flat[unit * featureLength + k] = norm > 0 ? value / norm : 0 }
        }
        return flat
    }

    /// For each suspect unit, the original unit it is: pairs taken by decreasing correlation, each unit once;
    /// units left over (no correlation of at least `minimumCorrelation`) are paired in order.
    static func assign(suspect: [Float], original: [Float], units: Int) -> [Int] {
        let rows = Parallel.map(units) { (j: Int) -> [(Float, Int, Int)] in
            var pairs: [(Float, Int, Int)] = []
            suspect.withUnsafeBufferPointer { x in
                original.withUnsafeBufferPointer { o in
                    guard let xb = x.baseAddress, let ob = o.baseAddress else { return }
                    let a = UnsafeRawPointer(xb + j * featureLength)
                    for u in 0..<units {
                        let b = UnsafeRawPointer(ob + u * featureLength)
                        var sum = SIMD8<Float>()
                        for k in stride(from: 0, to: featureLength, by: 8) {
                            sum +=
                                a.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self)
                                * b.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self)
                        }
                        let dot = sum.sum()
                        if dot >= minimumCorrelation { pairs.append((dot, j, u)) }
                    }
                }
            }
            return pairs
        }
        var source = [Int?](repeating: nil, count: units)
        var taken = [Bool](repeating: false, count: units)
        for (_, j, u) in rows.joined().sorted(by: { $0.0 > $1.0 }) where source[j] == nil && !taken[u] {
            source[j] = u
            taken[u] = true
        }
        var free = (0..<units).filter { !taken[$0] }.makeIterator()
        return source.map { $0 ?? free.next() ?? 0 }
    }
}
