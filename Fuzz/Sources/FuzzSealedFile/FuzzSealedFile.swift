import ContainerEngine
import ContainerFormat
import FuzzSupport
import ModelSealCore

// Opens arbitrary bytes as a sealed file with a fixed raw key (the one the seeds in
// Tests/Vectors/container were made with, so mutations get past the header MAC sometimes), and
// checks that an accepted header re-encodes to exactly the bytes read (canonical encoding).
let key = try? RawKey(bytes: Array(repeating: 0x42, count: 32))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let header = try? SealedHeader.parse(bytes) {
        guard (try? header.encoded()) == bytes else { fatalError("accepted a non-canonical header") }
    }
    guard let key, let file = try? SealedFile(MemorySource(bytes)) else { return 0 }
    guard file.headerBytes == Array(bytes.prefix(file.headerBytes.count)) else { fatalError("header bytes moved") }
    if let unlocked = try? file.unlock(with: [key]) {
        _ = try? unlocked.metadata()
        _ = try? unlocked.plaintext()
    }
    return 0
}

/// SwiftPM links executables with `main` aliased to `FuzzSealedFile_main`; hand control to libFuzzer's driver.
@_cdecl("FuzzSealedFile_main")
public func fuzzSealedFileMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzInput)
}
