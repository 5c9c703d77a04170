import FuzzSupport
import ModelSealBundle

// A sealed folder's set manifest (spec/FOLDERS.md), as a key holder could write it: canonical JSON of the
// schema, names by the rules. An accepted manifest re-encodes to exactly its bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let manifest = try? FolderManifest.parse(bytes) else { return 0 }
    guard manifest.encoded() == bytes else { fatalError("folder manifest not canonical") }
    _ = manifest.fileNames
    return 0
}

/// SwiftPM links executables with `main` aliased to `FuzzFolderManifest_main`; hand control to libFuzzer's driver.
@_cdecl("FuzzFolderManifest_main")
public func fuzzFolderManifestMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzInput)
}
