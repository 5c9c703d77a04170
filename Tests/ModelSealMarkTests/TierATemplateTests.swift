import Testing

@testable import ModelFormats
@testable import ModelSealMark

/// The torchvision ResNet template on state dicts given by shapes alone (the function-preservation tests are in
/// python/tests/test_mark.py, with real torch).
@Suite("Tier A templates")
struct TierATemplateTests {
    static func tensor(_ name: String, _ shape: [Int]) -> WeightTensor {
        WeightTensor(name: name, dtype: .float32, shape: shape, fileRange: 0..<0, zipMember: nil, sharesStorage: false)
    }

    static func norm(_ prefix: String, _ channels: Int) -> [WeightTensor] {
        TierATemplates.normParts.map { tensor(prefix + "." + $0, [channels]) }
    }

    /// A ResNet-18-like state dict with `widths` per stage, two BasicBlocks each, in torch's key order.
    static func basic(widths: [Int], classes: Int = 10) -> [WeightTensor] {
        var tensors = [tensor("conv1.weight", [widths[0], 3, 7, 7])] + norm("bn1", widths[0])
        var input = widths[0]
        for (stage, width) in widths.enumerated() {
            for block in 0..<2 {
                let p = "layer\(stage + 1).\(block)."
                tensors += [tensor(p + "conv1.weight", [width, input, 3, 3])] + norm(p + "bn1", width)
                tensors += [tensor(p + "conv2.weight", [width, width, 3, 3])] + norm(p + "bn2", width)
                if input != width {
                    tensors +=
                        [tensor(p + "downsample.0.weight", [width, input, 1, 1])] + norm(p + "downsample.1", width)
                }
                input = width
            }
        }
        return tensors + [tensor("fc.weight", [classes, input]), tensor("fc.bias", [classes])]
    }

    @Test("BasicBlock: the stem and layer1 share one stream; each downsample starts the next; fc consumes the last")
    func basicBlockStreams() throws {
        let (template, slots) = try #require(TierATemplates.slots(Self.basic(widths: [12, 24, 48])))
        #expect(template == "torchvision-resnet")
        let streams = slots.filter { $0.name.hasPrefix("residual stream") }
        #expect(
            streams.map(\.name) == [
                "residual stream from conv1", "residual stream from layer2.0",
                "residual stream from layer3.0",
            ])
        #expect(streams.map(\.units) == [12, 24, 48])
        // Slots follow the file: the hidden channels (found at each conv1) come before the streams (found at fc).
        #expect(slots.prefix(6).allSatisfy { !$0.name.hasPrefix("residual") })
        let first = streams[0].edges.map { "\($0.tensor)@\($0.axis)" }
        #expect(
            first.filter { $0.hasSuffix("@1") } == [
                "layer1.0.conv1.weight@1", "layer1.1.conv1.weight@1", "layer2.0.conv1.weight@1",
                "layer2.0.downsample.0.weight@1",
            ])
        #expect(first.contains("layer1.1.bn2.running_var@0") && first.first == "conv1.weight@0")
        #expect(streams[2].edges.last == PermutationSlot.Edge(tensor: "fc.weight", axis: 1, offset: 0, block: 1))
        #expect(streams[1].edges.map(\.tensor).contains("layer2.0.downsample.1.bias"))
    }

    @Test("a state dict that does not fit the stream gives no residual slot, and the blocks keep theirs")
    func misfitHasNoStream() throws {
        var tensors = Self.basic(widths: [12, 24])
        tensors.removeAll { $0.name == "layer2.0.downsample.1.running_mean" }
        let slots = try #require(TierATemplates.slots(tensors)).slots
        #expect(slots.count == 4 && slots.allSatisfy { !$0.name.hasPrefix("residual") })
        let headless = Self.basic(widths: [12, 24]).filter { !$0.name.hasPrefix("fc.") }
        #expect(try #require(TierATemplates.slots(headless)).slots.count == 4)
    }

    @Test("Bottleneck: the stem is its own slot; a grouped conv2 (ResNeXt) keeps its output channels in place")
    func bottleneck() throws {
        func model(groups: Int) -> [WeightTensor] {
            let p = "layer1.0."
            return [Self.tensor("conv1.weight", [8, 3, 7, 7])] + Self.norm("bn1", 8)
                + [Self.tensor(p + "conv1.weight", [12, 8, 1, 1])] + Self.norm(p + "bn1", 12)
                + [Self.tensor(p + "conv2.weight", [12, 12 / groups, 3, 3])] + Self.norm(p + "bn2", 12)
                + [Self.tensor(p + "conv3.weight", [32, 12, 1, 1])] + Self.norm(p + "bn3", 32)
                + [Self.tensor(p + "downsample.0.weight", [32, 8, 1, 1])] + Self.norm(p + "downsample.1", 32)
                + [Self.tensor("fc.weight", [5, 32])]
        }
        let plain = try #require(TierATemplates.slots(model(groups: 1))).slots
        #expect(
            plain.map(\.name) == [
                "layer1.0 channels conv1→conv2", "layer1.0 channels conv2→conv3", "residual stream from conv1",
                "residual stream from layer1.0",
            ])
        #expect(plain[2].edges.map(\.tensor).suffix(2) == ["layer1.0.conv1.weight", "layer1.0.downsample.0.weight"])
        #expect(plain[3].units == 32 && plain[3].edges.first?.tensor == "layer1.0.conv3.weight")
        let grouped = try #require(TierATemplates.slots(model(groups: 4))).slots
        #expect(grouped.map(\.name) == ["residual stream from conv1", "residual stream from layer1.0"])
    }
}
