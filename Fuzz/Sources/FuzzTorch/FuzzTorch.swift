import FuzzSupport
import ModelFormats
import ModelSealCore

/// Any bytes as a PyTorch checkpoint (zip or legacy): walker, pickle machine and tensor interpretation.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTorch(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let source = MemorySource(Array(UnsafeBufferPointer(start: data, count: size)))
    if let checkpoint = try? TorchCheckpoint.read(from: source) {
        let sink = MemorySink()
        _ = try? ModelConversion.torchToTorch(source, to: sink, options: .init(dropNonTensorData: true))
        _ = checkpoint.sharedStorageGroups
    }
    _ = try? ModelInspection.inspect(source)
    return 0
}

/// SwiftPM links executables with `main` aliased to `FuzzTorch_main`; hand control to libFuzzer's driver.
@_cdecl("FuzzTorch_main")
public func fuzzTorchMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzTorch)
}
