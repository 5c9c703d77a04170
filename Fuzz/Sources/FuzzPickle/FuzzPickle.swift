import FuzzSupport
import ModelFormats

/// Any bytes through the restricted pickle machine, strict and lenient: errors are fine, crashes and
/// hangs are not, and whatever the strict machine accepts the lenient one accepts the same way, except
/// persistent ids and extension codes: the lenient machine applies the loaders' persistent_load (only torch's
/// tuples load) and CPython's empty extension registry, as a scanner must (docs/SCAN.md, "The rule").
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPickle(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let strict = try? PickleMachine().run(bytes)
    let lenient = PickleMachine(leniency: .likeCPython).trace(bytes)
    let hasPersistentID =
        strict?.heap.objects.contains {
            switch $0 {
            case .persistent, .extensionCode: true
            default: false
            }
        } ?? false
    if let strict, !hasPersistentID {
        guard let result = lenient.result, result.endOffset == strict.endOffset,
            result.events.count == strict.events.count, !result.events.contains(where: { $0.anomaly != nil })
        else { fatalError("lenient machine disagrees with the strict one on an input both accept") }
    }
    return 0
}

/// SwiftPM links executables with `main` aliased to `FuzzPickle_main`; hand control to libFuzzer's driver.
@_cdecl("FuzzPickle_main")
public func fuzzPickleMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzPickle)
}
