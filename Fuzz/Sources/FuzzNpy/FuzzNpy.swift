import FuzzSupport
import ModelFormats
import ModelSealCore

/// Any bytes as .npy (header literal, object-array pickles) and as .npz (zip + inflate).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNpy(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let source = MemorySource(Array(UnsafeBufferPointer(start: data, count: size)))
    _ = try? NpyArray.read(from: source)
    _ = try? NpzArchive.read(from: source)
    return 0
}

/// SwiftPM links executables with `main` aliased to `FuzzNpy_main`; hand control to libFuzzer's driver.
@_cdecl("FuzzNpy_main")
public func fuzzNpyMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzNpy)
}
