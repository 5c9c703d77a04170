import ContainerEngine
import FuzzSupport
import ModelSealBundle
import ModelSealCore

// Bundle files (.mspkg) from anyone: header, manifest, signature block, then every member hashed.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let bundle = try? OpenedBundle(source: MemorySource(bytes)) else { return 0 }
    // Canonical: an accepted manifest re-encodes to the same bytes.
    guard bundle.manifest.encoded() == bundle.manifestBytes else { fatalError("manifest not canonical") }
    _ = try? bundle.verifySignatures(trustedKeys: [])
    try? bundle.readMembers(into: nil)
    return 0
}

/// SwiftPM links executables with `main` aliased to `FuzzBundleReader_main`; hand control to libFuzzer's driver.
@_cdecl("FuzzBundleReader_main")
public func fuzzBundleReaderMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzInput)
}
