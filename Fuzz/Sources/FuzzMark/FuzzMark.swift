import FuzzSupport
import ModelFormats
import ModelSealCore
import ModelSealMark

/// A fixed small original: two fp32 matrices and a bias, as safetensors.
let original: WeightFile? = {
    let sink = MemorySink()
    var bytes = [UInt8](repeating: 0, count: 64 * 128 * 4)
    for index in 0..<(64 * 128) {
        let value = Float((index * 7919) % 1000) / 1000 - 0.5
        withUnsafeBytes(of: value.bitPattern.littleEndian) {
            bytes.replaceSubrange((index * 4)..<(index * 4 + 4), with: $0)
        }
    }
    try? SafetensorsFile.write(
        [
            .init(name: "a.weight", dtype: .float32, shape: [64, 128], data: .bytes(bytes)),
            .init(name: "b.weight", dtype: .float32, shape: [128, 64], data: .bytes(bytes)),
        ], to: sink)
    return try? WeightFile.open(MemorySource(sink.bytes))
}()

/// A tiny torchvision-ResNet-shaped original (two stages of one BasicBlock, 1×1 convs), so that the Tier A
/// template, the slot-by-slot alignment and matching by alignment run on every suspect with its tensors' shapes
/// (`scripts/fuzz.sh` seeds the corpus with a file of these names and shapes).
let resnet: WeightFile? = {
    var shapes: [(String, [Int])] = [("conv1.weight", [6, 3, 3, 3])] + norm("bn1", 6)
    for (block, input, width) in [("layer1.0.", 6, 6), ("layer2.0.", 6, 12)] {
        shapes += [(block + "conv1.weight", [width, input, 1, 1])] + norm(block + "bn1", width)
        shapes += [(block + "conv2.weight", [width, width, 1, 1])] + norm(block + "bn2", width)
    }
    shapes += [("layer2.0.downsample.0.weight", [12, 6, 1, 1])] + norm("layer2.0.downsample.1", 12)
    shapes += [("fc.weight", [4, 12])]
    let tensors = shapes.enumerated().map { (index, entry) -> SafetensorsFile.TensorToWrite in
        let count = entry.1.reduce(1, *)
        var bytes: [UInt8] = []
        for element in 0..<count {
            let value = Float(((index + 1) * 7919 + element * 104_729) % 1000) / 1000 - 0.5
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
        }
        return .init(name: entry.0, dtype: .float32, shape: entry.1, data: .bytes(bytes))
    }
    let sink = MemorySink()
    try? SafetensorsFile.write(tensors, to: sink)
    return try? WeightFile.open(MemorySource(sink.bytes))
}()

func norm(_ prefix: String, _ channels: Int) -> [(String, [Int])] {
    ["weight", "bias", "running_mean", "running_var"].map { (prefix + "." + $0, [channels]) }
}

let secret = [UInt8](repeating: 0x5A, count: 32)

/// Any bytes as a suspect copy traced against the fixed original, and as a model to mark (zip CRC
/// patching, patched reads): errors are expected, traps and hangs are failures.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMark(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let source = MemorySource(Array(UnsafeBufferPointer(start: data, count: size)))
    guard let suspect = try? WeightFile.open(source) else { return 0 }
    for tensor in suspect.dequantized { _ = try? suspect.floats(tensor, elements: 0..<4096) }
    for original in [original, resnet].compactMap({ $0 }) {
        _ = try? Tracer.trace(
            original: original, suspect: suspect,
            TraceRequest(
                secret: secret, modelID: "fuzz", customers: ["a", "b", "c"], parameters: MarkParameters(minElements: 16)
            ))
    }
    let request = MarkRequest(
        secret: secret, modelID: "fuzz", customer: "a", parameters: MarkParameters(minElements: 512))
    for tierA in [false, true] {
        var asked = request
        asked.tierA = tierA
        if let marked = try? ModelMarker.mark(suspect, asked) {
            _ = try? marked.delivered.write(to: DiscardingSink())
            _ = try? WeightFile.open(marked.delivered)
        }
    }
    return 0
}

/// SwiftPM links executables with `main` aliased to `FuzzMark_main`; hand control to libFuzzer's driver.
@_cdecl("FuzzMark_main")
public func fuzzMarkMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzMark)
}
