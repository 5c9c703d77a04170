/// The torchvision ResNet template (spec/MARK.md §8.1): the hidden channels inside each block, and the residual
/// stream, which every block of a stretch without a downsample adds to and reads from.
extension TierATemplates {
    /// The four tensors of a `BatchNorm2d`, each `[channels]`.
    static let normParts = ["weight", "bias", "running_mean", "running_var"]

    /// `…layerN.M.conv1.weight`: the channels between conv1/bn1 and conv2 (and, in a Bottleneck, between
    /// conv2/bn2 and conv3). A grouped conv2 (ResNeXt: its input is not conv1's output width) gives neither.
    static func resnetBlock(_ name: String, _ shapes: [String: [Int]]) -> [PermutationSlot] {
        guard name.hasSuffix(".conv1.weight"), name.contains("layer") else { return [] }
        let block = String(name.dropLast("conv1.weight".count))
        var slots: [PermutationSlot] = []
        for (stage, next) in [("1", "2"), ("2", "3")] {
            let producer = block + "conv\(stage).weight"
            let consumer = block + "conv\(next).weight"
            guard let p = shapes[producer], let c = shapes[consumer], p.count == 4, c.count == 4, c[1] == p[0],
                norm(block + "bn\(stage)", channels: p[0], shapes)
            else { break }
            let edges =
                [PermutationSlot.Edge(tensor: producer, axis: 0, offset: 0, block: 1)]
                + normEdges(block + "bn\(stage)") + [
                    PermutationSlot.Edge(tensor: consumer, axis: 1, offset: 0, block: 1)
                ]
            slots.append(
                PermutationSlot(
                    name: String(block.dropLast()) + " channels conv\(stage)→conv\(next)", units: p[0], edges: edges))
        }
        return slots
    }

    /// `…fc.weight` [k, c] of a model with `…conv1.weight`, `…bn1.*` and `…layer1.0.conv1.weight`: one slot per
    /// stretch of the residual stream, from the stem (or a block with a downsample) to the next downsample (or
    /// `fc`). Producers (axis 0): the stem's conv1/bn1, each block's last conv/bn (conv2/bn2, conv3/bn3 in a
    /// Bottleneck), a downsample's conv/bn; consumers (axis 1): each block's conv1 and downsample conv, and `fc`.
    /// Any shape that does not fit gives no residual slot at all.
    static func resnetStreams(_ name: String, _ shapes: [String: [Int]]) -> [PermutationSlot] {
        guard name.hasSuffix("fc.weight") else { return [] }
        let prefix = String(name.dropLast("fc.weight".count))
        guard prefix.isEmpty || prefix.hasSuffix("."), let fc = shapes[name], fc.count == 2,
            let stem = shapes[prefix + "conv1.weight"], stem.count == 4,
            norm(prefix + "bn1", channels: stem[0], shapes),
            shapes[prefix + "layer1.0.conv1.weight"] != nil
        else { return [] }
        var stream = PermutationSlot(
            name: "residual stream from " + prefix + "conv1", units: stem[0],
            edges: [.init(tensor: prefix + "conv1.weight", axis: 0, offset: 0, block: 1)] + normEdges(prefix + "bn1"))
        var slots: [PermutationSlot] = []
        var stage = 1
        while shapes[prefix + "layer\(stage).0.conv1.weight"] != nil {
            var index = 0
            while shapes[prefix + "layer\(stage).\(index).conv1.weight"] != nil {
                let block = prefix + "layer\(stage).\(index)."
                switch resnetStreamBlock(block, stream: &stream, shapes) {
                case .misfit: return []
                case .continues: break
                case .starts(let next):
                    slots.append(stream)
                    stream = next
                }
                index += 1
            }
            stage += 1
        }
        guard fc[1] == stream.units else { return [] }
        stream.edges.append(.init(tensor: name, axis: 1, offset: 0, block: 1))
        return slots + [stream]
    }

    /// What a block does to the stretch of residual stream it reads.
    enum StreamStep {
        /// Its output adds to the same stretch (no downsample).
        case continues
        /// Its output (and downsample) start a new stretch.
        case starts(PermutationSlot)
        /// Its shapes do not fit the template.
        case misfit
    }

    /// Adds one block to the stream it reads: its conv1 (and downsample) consume the stream; without a
    /// downsample its last conv/bn add to the stream, with one they start the next stretch.
    static func resnetStreamBlock(_ block: String, stream: inout PermutationSlot, _ shapes: [String: [Int]])
        -> StreamStep
    {
        let last = shapes[block + "conv3.weight"] != nil ? "3" : "2"
        let output = block + "conv\(last).weight"
        let downsample = block + "downsample.0.weight"
        guard let conv1 = shapes[block + "conv1.weight"], conv1.count == 4, conv1[1] == stream.units,
            let out = shapes[output], out.count == 4, norm(block + "bn\(last)", channels: out[0], shapes)
        else { return .misfit }
        stream.edges.append(.init(tensor: block + "conv1.weight", axis: 1, offset: 0, block: 1))
        let produced =
            [PermutationSlot.Edge(tensor: output, axis: 0, offset: 0, block: 1)] + normEdges(block + "bn\(last)")
        guard let down = shapes[downsample] else {
            guard out[0] == stream.units else { return .misfit }
            stream.edges += produced
            return .continues
        }
        guard down.count == 4, down[0] == out[0], down[1] == stream.units,
            norm(block + "downsample.1", channels: out[0], shapes)
        else { return .misfit }
        stream.edges.append(.init(tensor: downsample, axis: 1, offset: 0, block: 1))
        return .starts(
            PermutationSlot(
                name: "residual stream from " + String(block.dropLast()), units: out[0],
                edges: produced + [.init(tensor: downsample, axis: 0, offset: 0, block: 1)]
                    + normEdges(block + "downsample.1")))
    }

    /// True when the four `BatchNorm2d` tensors under `prefix` are all `[channels]`.
    static func norm(_ prefix: String, channels: Int, _ shapes: [String: [Int]]) -> Bool {
        normParts.allSatisfy { shapes[prefix + "." + $0] == [channels] }
    }

    static func normEdges(_ prefix: String) -> [PermutationSlot.Edge] {
        normParts.map { PermutationSlot.Edge(tensor: prefix + "." + $0, axis: 0, offset: 0, block: 1) }
    }
}
