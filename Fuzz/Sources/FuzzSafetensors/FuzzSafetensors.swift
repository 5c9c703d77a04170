import FuzzSupport
import ModelFormats
import ModelSealCore

/// Any bytes as safetensors: header length, strict JSON, offsets tiling the buffer.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let source = MemorySource(Array(UnsafeBufferPointer(start: data, count: size)))
    if (try? SafetensorsFile.read(from: source)) != nil {
        _ = try? ModelConversion.safetensorsToTorch(
            source, to: MemorySink(), options: .init(dropNonTensorData: true))
    }
    return 0
}

/// SwiftPM links executables with `main` aliased to `FuzzSafetensors_main`; hand control to libFuzzer's driver.
@_cdecl("FuzzSafetensors_main")
public func fuzzSafetensorsMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzSafetensors)
}
