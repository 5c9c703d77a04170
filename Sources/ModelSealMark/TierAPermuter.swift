import ModelSealCore

/// Writes Tier A's permutations into a copy (spec/MARK.md §8.2): every edge of every slot reorders its
/// tensor's units, over the Tier B marked bytes where the tensor is marked.
enum TierAPermuter {
    /// `patches` (Tier B) with every tensor a slot touches rewritten in permuted order.
    static func apply(
        slots: [PermutationSlot], permutations: [[Int]], file: WeightFile, patches: [BytePatch]
    ) throws -> [BytePatch] {
        var byOffset: [Int: BytePatch] = [:]
        for patch in patches { byOffset[patch.offset] = patch }
        var edges: [String: [(PermutationSlot.Edge, [Int])]] = [:]
        var order: [String] = []
        for (slot, permutation) in zip(slots, permutations) {
            for edge in slot.edges {
                if edges[edge.tensor] == nil { order.append(edge.tensor) }
                edges[edge.tensor, default: []].append((edge, permutation))
            }
        }
        for name in order {
            guard let tensor = file.tensors.first(where: { $0.name == name }), let range = tensor.fileRange,
                !tensor.sharesStorage, tensor.shape.count >= 1
            else {
                throw MarkError.unsupported(
                    "--tier-a: tensor \(name) is not stored contiguously on its own: it cannot be permuted")
            }
            var bytes =
                try byOffset[range.lowerBound]?.bytes ?? file.source.read(at: range.lowerBound, count: range.count)
            let elementSize = range.count / max(1, tensor.elementCount)
            for (edge, permutation) in edges[name] ?? [] {
                bytes = permute(
                    bytes, shape: tensor.shape, elementSize: elementSize, edge: edge, permutation: permutation)
            }
            byOffset[range.lowerBound] = BytePatch(offset: range.lowerBound, bytes: bytes)
        }
        return byOffset.values.sorted { $0.offset < $1.offset }
    }

    /// `bytes` with unit `j` of `edge` taking the elements of unit `permutation[j]`.
    static func permute(
        _ bytes: [UInt8], shape: [Int], elementSize: Int, edge: PermutationSlot.Edge, permutation: [Int]
    ) -> [UInt8] {
        var output = bytes
        let inner = shape.dropFirst(edge.axis + 1).reduce(1, *) * elementSize
        let outer = shape.prefix(edge.axis).reduce(1, *)
        let span = shape[edge.axis] * inner
        let unitBytes = edge.block * inner
        for index in 0..<outer {
            let base = index * span + edge.offset * inner
            for (position, unit) in permutation.enumerated() where position != unit {
                let to = base + position * unitBytes
                let from = base + unit * unitBytes
                output.replaceSubrange(to..<(to + unitBytes), with: bytes[from..<(from + unitBytes)])
            }
        }
        return output
    }
}
