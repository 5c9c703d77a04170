import FuzzSupport
import ModelFormats
import ModelSealCore
import ModelSealScan

/// Any bytes through the scanner (content detection, lenient zip walk, every member probed, the
/// lenient pickle machine, nested pickles): any verdict is fine, crashes and hangs are not.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzScan(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let scanner = Scanner()
    let report = scanner.scan(MemorySource(bytes), path: "input")
    // The same bytes give the same findings: no state leaks between scans or depends on timing.
    guard scanner.scan(MemorySource(bytes), path: "input").findings == report.findings else {
        fatalError("two scans of the same input disagree")
    }
    return 0
}

/// SwiftPM links executables with `main` aliased to `FuzzScan_main`; hand control to libFuzzer's driver.
@_cdecl("FuzzScan_main")
public func fuzzScanMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzScan)
}
