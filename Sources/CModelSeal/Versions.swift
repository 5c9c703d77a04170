import ModelSealKit

/// The ABI version this library implements (`MODELSEAL_ABI_VERSION` in modelseal.h).
let abiVersion: UInt32 = 1

@_cdecl("modelseal_abi_version")
public func modelseal_abi_version() -> UInt32 {
    abiVersion
}

@_cdecl("modelseal_version")
public func modelseal_version() -> UnsafePointer<CChar> {
    StaticStrings.shared.version
}
