/// Tier A's built-in templates (spec/MARK.md §8.1): where a state dict of a known architecture has hidden
/// units that can be permuted without changing any output. A state dict carries no graph, so only the key
/// patterns and shapes below decide the grouping; anything else gets no Tier A.
public struct PermutationSlot: Sendable, Equatable {
    /// One tensor axis the slot's units run along: unit `u` is the indices `offset + u·block ..< offset +
    /// (u+1)·block` of dimension `axis` (0 or 1).
    public struct Edge: Sendable, Equatable {
        public var tensor: String
        public var axis: Int
        public var offset: Int
        public var block: Int
    }

    /// `layer1.0 hidden channels`, `h.3 mlp`, `h.3 heads`.
    public var name: String
    public var units: Int
    /// The edges; the first is the feature `trace` matches units by (a marked weight).
    public var edges: [Edge]
}

public enum TierATemplates {
    /// Head width assumed for GPT-2 and BERT attention (every published size): permuting blocks of 64 is also
    /// exact for any head width dividing 64.
    public static let headWidth = 64

    /// A template's slots found at one tensor (by name), given every tensor's shape.
    typealias Find = (_ name: String, _ shapes: [String: [Int]]) -> [PermutationSlot]

    /// The template's name and slots for the tensors of a state dict, or `nil` when none applies.
    public static func slots(_ tensors: [WeightTensor]) -> (template: String, slots: [PermutationSlot])? {
        var shapes: [String: [Int]] = [:]
        for tensor in tensors { shapes[tensor.name] = tensor.shape }
        let templates: [(String, Find)] = [
            ("torchvision-resnet", { resnetBlock($0, $1) + resnetStreams($0, $1) }), ("gpt2", gpt2), ("bert", bert),
        ]
        for (template, find) in templates {
            let slots = tensors.flatMap { find($0.name, shapes) }
            if !slots.isEmpty { return (template, slots) }
        }
        return nil
    }

    /// `…h.N.mlp.c_fc.weight` ([d, 4d], Conv1D: input first) and `…h.N.attn.c_attn.weight` ([d, 3d]).
    static func gpt2(_ name: String, _ shapes: [String: [Int]]) -> [PermutationSlot] {
        if name.hasSuffix(".mlp.c_fc.weight") {
            let mlp = String(name.dropLast("c_fc.weight".count))
            guard let fc = shapes[name], fc.count == 2, shapes[mlp + "c_fc.bias"] == [fc[1]],
                shapes[mlp + "c_proj.weight"] == [fc[1], fc[0]]
            else { return [] }
            return [
                PermutationSlot(
                    name: mlp + "hidden units", units: fc[1],
                    edges: [
                        .init(tensor: name, axis: 1, offset: 0, block: 1),
                        .init(tensor: mlp + "c_fc.bias", axis: 0, offset: 0, block: 1),
                        .init(tensor: mlp + "c_proj.weight", axis: 0, offset: 0, block: 1),
                    ])
            ]
        }
        guard name.hasSuffix(".attn.c_attn.weight") else { return [] }
        let attn = String(name.dropLast("c_attn.weight".count))
        guard let qkv = shapes[name], qkv.count == 2, qkv[1] == 3 * qkv[0], qkv[0] % headWidth == 0,
            shapes[attn + "c_attn.bias"] == [qkv[1]], shapes[attn + "c_proj.weight"] == [qkv[0], qkv[0]]
        else { return [] }
        let d = qkv[0]
        var edges: [PermutationSlot.Edge] = []
        for part in 0..<3 {
            edges.append(.init(tensor: name, axis: 1, offset: part * d, block: headWidth))
            edges.append(.init(tensor: attn + "c_attn.bias", axis: 0, offset: part * d, block: headWidth))
        }
        edges.append(.init(tensor: attn + "c_proj.weight", axis: 0, offset: 0, block: headWidth))
        return [PermutationSlot(name: attn + "heads", units: d / headWidth, edges: edges)]
    }

    /// `…encoder.layer.N.intermediate.dense.weight` ([4d, d]) and `…attention.self.query.weight` ([d, d]).
    static func bert(_ name: String, _ shapes: [String: [Int]]) -> [PermutationSlot] {
        if name.hasSuffix(".intermediate.dense.weight") {
            let layer = String(name.dropLast("intermediate.dense.weight".count))
            guard let inner = shapes[name], inner.count == 2, shapes[layer + "intermediate.dense.bias"] == [inner[0]],
                shapes[layer + "output.dense.weight"] == [inner[1], inner[0]]
            else { return [] }
            return [
                PermutationSlot(
                    name: layer + "intermediate units", units: inner[0],
                    edges: [
                        .init(tensor: name, axis: 0, offset: 0, block: 1),
                        .init(tensor: layer + "intermediate.dense.bias", axis: 0, offset: 0, block: 1),
                        .init(tensor: layer + "output.dense.weight", axis: 1, offset: 0, block: 1),
                    ])
            ]
        }
        guard name.hasSuffix(".attention.self.query.weight") else { return [] }
        let attention = String(name.dropLast("self.query.weight".count))
        guard let q = shapes[name], q.count == 2, q[0] == q[1], q[0] % headWidth == 0 else { return [] }
        var edges: [PermutationSlot.Edge] = []
        for part in ["query", "key", "value"] {
            guard shapes[attention + "self.\(part).weight"] == q, shapes[attention + "self.\(part).bias"] == [q[0]]
            else { return [] }
            edges.append(.init(tensor: attention + "self.\(part).weight", axis: 0, offset: 0, block: headWidth))
            edges.append(.init(tensor: attention + "self.\(part).bias", axis: 0, offset: 0, block: headWidth))
        }
        guard shapes[attention + "output.dense.weight"] == q else { return [] }
        edges.append(.init(tensor: attention + "output.dense.weight", axis: 1, offset: 0, block: headWidth))
        return [PermutationSlot(name: attention + "heads", units: q[0] / headWidth, edges: edges)]
    }
}
