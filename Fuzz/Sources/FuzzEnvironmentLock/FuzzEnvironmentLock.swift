import FuzzSupport
import ModelSealEnvironment

// Environment locks (JSON files and header extension bodies) and conda-meta records.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let lock = try? EnvironmentLock.parse(bytes) {
        // Any accepted lock has a canonical form that reads back as the same lock.
        guard (try? EnvironmentLock.parseCanonical(lock.canonicalBytes())) == lock else {
            fatalError("lock round trip")
        }
    }
    if let contract = try? EnvironmentContract.parse(bytes) {
        guard contract.encoded() == bytes else { fatalError("contract extension not canonical") }
    }
    _ = try? CondaMeta.record(bytes, path: "fuzz.json")
    return 0
}

/// SwiftPM links executables with `main` aliased to `FuzzEnvironmentLock_main`; hand control to libFuzzer's driver.
@_cdecl("FuzzEnvironmentLock_main")
public func fuzzEnvironmentLockMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzInput)
}
