import ModelSealCore

/// The order in which slots are aligned, and matching tensors whose names and units both changed
/// (spec/MARK.md §8.5).
extension TierAAlignment {
    /// Most suspect tensors compared by alignment in one trace, and most elements they may hold together (each
    /// comparison reads the whole tensor): a suspect of many renamed same-shape tensors is not read for hours.
    static let maxCandidateComparisons = 4096
    static let maxCandidateElements = 1 << 28
    /// Suspect units whose best feature correlation scores a candidate tensor.
    static let probeUnits = 64

    /// The alignment in progress: slots aligned so far, their index maps, and the matches.
    struct Work {
        let slots: [PermutationSlot]
        let original: WeightFile
        let suspect: WeightFile
        var matches: [String: TensorMatch]
        var recovered: [[Int]?]
        var maps: [String: IndexMaps] = [:]
        var moved = 0
        var comparisons = 0
        var elementsCompared = 0
        let originals: [String: WeightTensor]
        /// Suspect tensors that may hold an original tensor: floats stored contiguously and dequantized views.
        let candidates: [WeightTensor]
        /// Tensor name → axis → the slots with an edge there.
        let owners: [String: [Int: [Int]]]

        init(slots: [PermutationSlot], original: WeightFile, suspect: WeightFile, matches: [String: TensorMatch]) {
            self.slots = slots
            self.original = original
            self.suspect = suspect
            self.matches = matches
            recovered = Array(repeating: nil, count: slots.count)
            var originals: [String: WeightTensor] = [:]
            for tensor in original.tensors where originals[tensor.name] == nil { originals[tensor.name] = tensor }
            self.originals = originals
            candidates =
                suspect.tensors.filter { $0.markDType != nil && $0.fileRange != nil } + suspect.dequantized
            var owners: [String: [Int: [Int]]] = [:]
            for (index, slot) in slots.enumerated() {
                for edge in slot.edges { owners[edge.tensor, default: [:]][edge.axis, default: []].append(index) }
            }
            self.owners = owners
        }

        /// Aligns `slot` on its first usable feature edge: a float tensor of rank ≥ 2 found in the suspect and,
        /// when `strict`, whose other axis belongs to no slot still to align. Returns whether it did.
        mutating func alignIfReady(_ slot: Int, strict: Bool) throws -> Bool {
            for edge in slots[slot].edges {
                guard let tensor = originals[edge.tensor], tensor.shape.count >= 2, edge.axis < 2,
                    tensor.markDType != nil, tensor.fileRange != nil
                else { continue }
                let others = owners[edge.tensor]?[1 - edge.axis] ?? []
                if strict && others.contains(where: { $0 != slot && recovered[$0] == nil }) { continue }
                guard let match = try suspectTensor(tensor, edge: edge, units: slots[slot].units, strict: strict)
                else { continue }
                try recover(slot, edge: edge, tensor: tensor, in: match)
                return true
            }
            return false
        }

        /// The suspect tensor holding `tensor`: its match when it has one (same shape, not transposed); else,
        /// when `strict`, the unmatched same-shape candidate whose units best correlate with the original's.
        mutating func suspectTensor(_ tensor: WeightTensor, edge: PermutationSlot.Edge, units: Int, strict: Bool)
            throws -> WeightTensor?
        {
            if let match = matches[tensor.name] {
                return match.transposed || match.suspect.shape != tensor.shape ? nil : match.suspect
            }
            guard strict else { return nil }
            let used = Set(matches.values.map(\.suspect.name))
            let o = features(try original.floats(tensor), shape: tensor.shape, edge: edge, units: units)
            var best: (score: Float, tensor: WeightTensor)?
            for candidate in candidates where candidate.shape == tensor.shape && !used.contains(candidate.name) {
                guard compare(candidate) else { break }
                let view = viewed(try suspect.floats(candidate), shape: tensor.shape, map: maps[tensor.name])
                let score = probeScore(features(view, shape: tensor.shape, edge: edge, units: units), o, units: units)
                if score >= minimumCorrelation, score > best?.score ?? -1 { best = (score, candidate) }
            }
            guard let best else { return nil }
            matches[tensor.name] = TensorMatch(suspect: best.tensor, transposed: false, byName: false)
            return best.tensor
        }

        /// Recovers `slot`'s permutation from `edge` of `tensor` (held by `suspectTensor`) and adds its moves to
        /// the maps of every edge.
        mutating func recover(
            _ slot: Int, edge: PermutationSlot.Edge, tensor: WeightTensor, in suspectTensor: WeightTensor
        )
            throws
        {
            let units = slots[slot].units
            let o = features(try original.floats(tensor), shape: tensor.shape, edge: edge, units: units)
            let view = viewed(try suspect.floats(suspectTensor), shape: tensor.shape, map: maps[tensor.name])
            let source = assign(
                suspect: features(view, shape: tensor.shape, edge: edge, units: units), original: o, units: units)
            recovered[slot] = source
            moved += source.enumerated().filter { $0.offset != $0.element }.count
            var position = [Int](repeating: 0, count: units)
            for (j, unit) in source.enumerated() { position[unit] = j }
            for edge in slots[slot].edges {
                guard let shape = originals[edge.tensor]?.shape else { continue }
                extend(&maps[edge.tensor, default: IndexMaps()], shape: shape, edge: edge, position: position)
            }
        }

        /// Counts one more comparison with `candidate`, or says the budget is spent.
        mutating func compare(_ candidate: WeightTensor) -> Bool {
            comparisons += 1
            elementsCompared += candidate.elementCount
            return comparisons <= maxCandidateComparisons && elementsCompared <= maxCandidateElements
        }

        /// Matches the template's tensors still unmatched (renamed and permuted, not used as a feature) to unused
        /// same-shape suspect tensors by correlation read through their index maps, best pair first.
        mutating func matchThroughMaps() throws {
            var pairs: [(score: Double, name: String, candidate: WeightTensor)] = []
            let used = Set(matches.values.map(\.suspect.name))
            for (name, map) in maps.sorted(by: { $0.key < $1.key }) where matches[name] == nil {
                guard let tensor = originals[name], tensor.shape.count >= 2, tensor.markDType != nil,
                    tensor.fileRange != nil
                else { continue }
                let probe = try original.floats(
                    tensor, elements: 0..<min(tensor.elementCount, TensorMatcher.probeElements))
                for candidate in candidates where candidate.shape == tensor.shape && !used.contains(candidate.name) {
                    guard compare(candidate) else { return }
                    let view = viewed(try suspect.floats(candidate), shape: tensor.shape, map: map)
                    let score = TensorMatcher.correlation(probe, Array(view.prefix(probe.count)))
                    if score >= TensorMatcher.minimumCorrelation { pairs.append((score, name, candidate)) }
                }
            }
            var taken = used
            for pair in pairs.sorted(by: { $0.score > $1.score })
            where matches[pair.name] == nil && !taken.contains(pair.candidate.name) {
                matches[pair.name] = TensorMatch(suspect: pair.candidate, transposed: false, byName: false)
                taken.insert(pair.candidate.name)
            }
        }
    }

    /// A suspect tensor's values in the original's order along every axis `map` has undone so far.
    static func viewed(_ values: [Float], shape: [Int], map: IndexMaps?) -> [Float] {
        guard let map, map.rows != nil || map.columns != nil, let rows = shape.first, rows > 0 else { return values }
        let columns = values.count / rows
        var output = [Float](repeating: 0, count: values.count)
        for row in 0..<rows {
            let from = (map.rows?[row] ?? row) * columns
            for column in 0..<columns {
                output[row * columns + column] = values[from + (map.columns?[column] ?? column)]
            }
        }
        return output
    }

    /// How well a candidate's units match the original's: the mean, over its first `probeUnits` units, of the
    /// best correlation with any original unit.
    static func probeScore(_ suspect: [Float], _ original: [Float], units: Int) -> Float {
        let probed = min(units, probeUnits)
        guard probed > 0 else { return 0 }
        var total: Float = 0
        for j in 0..<probed {
            var best: Float = -1
            for u in 0..<units {
                var dot: Float = 0
                for k in 0..<featureLength { dot += suspect[j * featureLength + k] * original[u * featureLength + k] }
                best = max(best, dot)
            }
            total += best
        }
        return total / Float(probed)
    }
}
