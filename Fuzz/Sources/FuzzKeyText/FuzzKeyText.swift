import FuzzSupport
import ModelSealKeys

// Raw key text, recipients and identities: strings users paste or files they point at.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let key = try? RawKeyText.decode(bytes) {
        // Canonical: a key accepted from text must print as that text, give or take padding and whitespace.
        let text = RawKeyText.encode(key)
        guard (try? RawKeyText.decode(Array(text.utf8)))?.bytes == key.bytes else { fatalError("raw key round trip") }
    }
    let text = String(decoding: bytes, as: UTF8.self)
    if let recipient = try? KeyText.recipient(text) {
        guard KeyText.encode(recipient) == text.lowercased() else { fatalError("recipient not canonical") }
    }
    if let identity = try? KeyText.identity(text) {
        guard KeyText.encode(identity) == text.uppercased() else { fatalError("identity not canonical") }
    }
    return 0
}

/// SwiftPM links executables with `main` aliased to `FuzzKeyText_main`; hand control to libFuzzer's driver.
@_cdecl("FuzzKeyText_main")
public func fuzzKeyTextMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzInput)
}
