import FuzzSupport
import ModelSealSigning

// OpenSSF model signature files (Sigstore bundle JSON around a base64 in-toto statement): foreign, untrusted bytes
// parsed before any signature check. Whatever parses must survive re-signing the same manifest unchanged.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let (_, manifest) = try? OpenSSFModelSigning.unverifiedContents(of: bytes) else { return 0 }
    guard manifest.resources.allSatisfy({ $0.digest.count == 32 }) else { fatalError("digest of the wrong length") }
    let statement = OpenSSFModelSigning.statement(for: manifest)
    guard let again = try? OpenSSFModelSigning.manifest(fromStatement: statement) else {
        fatalError("re-encoded statement refused")
    }
    guard again.resources == manifest.resources, again.serialization == manifest.serialization,
        again.ignorePaths == manifest.ignorePaths, again.modelName == manifest.modelName
    else { fatalError("statement round trip changed the manifest") }
    return 0
}

/// SwiftPM links executables with `main` aliased to `FuzzOMSBundle_main`; hand control to libFuzzer's driver.
@_cdecl("FuzzOMSBundle_main")
public func fuzzOMSBundleMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
