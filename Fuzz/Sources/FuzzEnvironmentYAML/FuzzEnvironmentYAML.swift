import FuzzSupport
import ModelSealEnvironment

// environment.yml (the subset conda writes) and `conda list --explicit` specs.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? EnvironmentYAML.parse(bytes)
    _ = try? ExplicitSpec.parse(bytes)
    return 0
}

/// SwiftPM links executables with `main` aliased to `FuzzEnvironmentYAML_main`; hand control to libFuzzer's driver.
@_cdecl("FuzzEnvironmentYAML_main")
public func fuzzEnvironmentYAMLMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzInput)
}
