import ModelSealBundle
import ModelSealCrypto

// Bundle files (.mspkg) from anyone: header, manifest, signature block, then every member hashed.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let bundle = try? OpenedBundle(source: MemorySource(bytes)) else { return 0 }
    // Canonical: an accepted manifest re-encodes to the same bytes.
    guard bundle.manifest.encoded() == bundle.manifestBytes else { fatalError("manifest not canonical") }
    _ = try? bundle.verifySignatures(trustedKeys: [])
    try? bundle.readMembers(into: nil)
    return 0
}
