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

let secret = [UInt8](repeating: 0x5A, count: 32)

/// Any bytes as a suspect copy traced against the fixed original, and as a model to mark (zip CRC
/// patching, patched reads): errors are expected, traps and hangs are failures.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMark(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let source = MemorySource(Array(UnsafeBufferPointer(start: data, count: size)))
    guard let suspect = try? WeightFile.open(source) else { return 0 }
    for tensor in suspect.dequantized { _ = try? suspect.floats(tensor, elements: 0..<4096) }
    if let original {
        _ = try? Tracer.trace(
            original: original, suspect: suspect,
            TraceRequest(secret: secret, modelID: "fuzz", customers: ["a", "b", "c"]))
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
