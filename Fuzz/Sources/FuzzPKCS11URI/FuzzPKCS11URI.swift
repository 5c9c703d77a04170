import FuzzSupport
import ModelSealPKCS11

// RFC 7512 pkcs11: URIs: the text users give as --sign-key (and a server's configured key).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let uri = try? PKCS11URI(parsing: text) else { return 0 }
    // Canonical form: it parses, to a URI with the same canonical form.
    let canonical = uri.canonicalText
    guard let again = try? PKCS11URI(parsing: canonical), again.canonicalText == canonical else {
        fatalError("canonical form does not round-trip: \(canonical)")
    }
    return 0
}

/// SwiftPM links executables with `main` aliased to `FuzzPKCS11URI_main`; hand control to libFuzzer's driver.
@_cdecl("FuzzPKCS11URI_main")
public func fuzzPKCS11URIMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzInput)
}
