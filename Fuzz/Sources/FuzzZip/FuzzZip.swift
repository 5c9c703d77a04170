import FuzzSupport
import ModelFormats
import ModelSealCore

/// Any bytes through the strict zip walker (lenient mode, so diagnostics paths run too) and member reads.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzZip(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let source = MemorySource(Array(UnsafeBufferPointer(start: data, count: size)))
    if let archive = try? ZipArchive(source: source, strict: false) {
        for entry in archive.entries.prefix(16) {
            _ = try? archive.read(entry, limit: 1 << 20)
            _ = try? archive.verifyCRC(entry)
        }
    }
    return 0
}

/// SwiftPM links executables with `main` aliased to `FuzzZip_main`; hand control to libFuzzer's driver.
@_cdecl("FuzzZip_main")
public func fuzzZipMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzZip)
}
