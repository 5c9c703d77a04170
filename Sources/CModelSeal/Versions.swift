import ModelSealKit

/// The ABI version this library implements (`MODELSEAL_ABI_VERSION` in modelseal.h).
let implementedABIVersion: UInt32 = 1

@_cdecl("modelseal_abi_version")
public func abiVersion() -> UInt32 {
    implementedABIVersion
}

@_cdecl("modelseal_version")
public func version() -> UnsafePointer<CChar> {
    StaticStrings.shared.version
}
