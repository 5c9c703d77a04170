import ModelSealEnvironment

// environment.yml (the subset conda writes) and `conda list --explicit` specs.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? EnvironmentYAML.parse(bytes)
    _ = try? ExplicitSpec.parse(bytes)
    return 0
}
