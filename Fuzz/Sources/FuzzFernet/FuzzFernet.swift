import ArticleCompat
import FuzzSupport
import ModelSealCore

// Reads arbitrary bytes as a Fernet token (the article's files) with the key of the seeds in
// Tests/Vectors/fernet (SHA-256 of "key/0", see scripts/gen-fernet-vectors.py), through both
// passes with small chunks so every chunk boundary is exercised; checks the plaintext length.
let key = try? FernetKey(bytes: [
    0x9c, 0xe0, 0xd0, 0x5c, 0xc3, 0x19, 0xb3, 0x70, 0xbf, 0x38, 0xe6, 0x93, 0x76, 0x71, 0x2e, 0x9e,
    0xd4, 0xf0, 0x69, 0xa4, 0x10, 0x5c, 0xf9, 0x58, 0x47, 0xd1, 0x57, 0xc2, 0x8a, 0xd5, 0x21, 0xc4,
])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = FernetToken.looksLikeToken(bytes)
    guard let key, let file = try? FernetFile(MemorySource(bytes), chunkLength: 64),
        let verified = try? file.verify(with: [key])
    else { return 0 }
    let sink = MemorySink()
    guard (try? verified.decrypt(to: sink)) == verified.plaintextLength, sink.bytes.count == verified.plaintextLength
    else { fatalError("an authenticated token did not decrypt to its length") }
    return 0
}

/// SwiftPM links executables with `main` aliased to `FuzzFernet_main`; hand control to libFuzzer's driver.
@_cdecl("FuzzFernet_main")
public func fuzzFernetMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzInput)
}
