import CModelSeal
import FuzzSupport

#if canImport(Glibc)
    import Glibc
#endif

// Drives the C entry points the way a careless or hostile caller could. The first byte picks a
// scenario; the rest is its input:
//   0  key texts: arbitrary bytes as raw key, identity, recipient, trust key and passphrase text
//   1  sealed files: [n][n bytes of key text][file] opened from memory, unlocked, decrypted into a
//      caller buffer of fuzzed capacity, into a library buffer and into a memfd, verified
//   2  handles: arbitrary 8-byte values passed as keyring and file handles (must be refused by the
//      handle table, never dereferenced), double close, use after close
//   3  status table: arbitrary codes
//   4  key server: arbitrary bytes as a TLS certificate (the pin's DER reader) and as a server answer
//      handed to request handles that are not live (an answer is parsed only for a live request, which
//      needs an activation)
// Every call must return a status; any trap, crash or sanitizer report is a bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let input = UnsafeBufferPointer(start: data + 1, count: size - 1)
    switch data[0] % 5 {
    case 0: keyTexts(input)
    case 1: sealedFile(input)
    case 2: handles(input)
    case 3: statuses(input)
    default: serverBytes(input)
    }
    return 0
}

private func keyTexts(_ input: UnsafeBufferPointer<UInt8>) {
    var ring: OpaquePointer? = nil
    guard keyringNew(&ring) == 0 else { fatalError("keyring_new failed") }
    defer { keyringFree(ring) }
    input.withMemoryRebound(to: CChar.self) { text in
        _ = keyringAddRawKey(ring, text.baseAddress, UInt(text.count))
        _ = keyringAddIdentity(ring, text.baseAddress, UInt(text.count))
        _ = keyringAddRecipient(ring, text.baseAddress, UInt(text.count))
        _ = keyringAddTrustKey(ring, text.baseAddress, UInt(text.count))
        _ = keyringAddPassphrase(ring, text.baseAddress, UInt(text.count), Int32(text.count % 40) - 5)
    }
    // Variable and path arguments: NUL-terminated copies of the input.
    var name = Array(input.prefix(64).map { CChar(bitPattern: $0) }) + [0]
    _ = keyringAddRawKeyEnv(ring, &name)
    _ = lastError()
}

private func sealedFile(_ input: UnsafeBufferPointer<UInt8>) {
    guard let keyLength = input.first.map(Int.init), input.count > keyLength else { return }
    let keyText = UnsafeBufferPointer(rebasing: input[1..<(1 + keyLength)])
    let file = UnsafeBufferPointer(rebasing: input[(1 + keyLength)...])
    var ring: OpaquePointer? = nil
    guard keyringNew(&ring) == 0 else { fatalError("keyring_new failed") }
    defer { keyringFree(ring) }
    keyText.withMemoryRebound(to: CChar.self) { _ = keyringAddRawKey(ring, $0.baseAddress, UInt($0.count)) }

    var handle: OpaquePointer? = nil
    guard fileOpenMemory(file.baseAddress, UInt(file.count), &handle) == 0 else { return }
    defer { fileClose(handle) }
    var length: UInt64 = 0
    _ = filePlaintextLength(handle, &length)  // before unlock: refused
    guard fileUnlock(handle, ring) == 0, filePlaintextLength(handle, &length) == 0 else { return }
    guard length <= 1 << 26 else { return }
    // A capacity one short, exact, or one over, picked by the file's last byte.
    let capacity = max(0, Int(length) + Int(file.last ?? 0) % 3 - 1)
    let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: max(capacity, 1))
    defer { buffer.deallocate() }
    let intoStatus = fileDecryptInto(handle, buffer, UInt(capacity))
    var owned: UnsafeMutablePointer<UInt8>? = nil
    var ownedLength: UInt = 0
    let ownedStatus = fileDecrypt(handle, &owned, &ownedLength)
    if intoStatus == 0 && ownedStatus == 0 {
        guard let owned, ownedLength == length, memcmp(owned, buffer, Int(length)) == 0 else {
            fatalError("decrypt and decrypt_into disagree")
        }
    }
    bufferFree(owned)
    var descriptor: Int32 = -1
    if fileDecryptToMemfd(handle, "fuzz", 0, &descriptor) == 0 { close(descriptor) }
    let verifyStatus = fileVerify(handle)
    guard (verifyStatus == 0) == (ownedStatus == 0) else { fatalError("verify and decrypt disagree") }
}

private func handles(_ input: UnsafeBufferPointer<UInt8>) {
    var ring: OpaquePointer? = nil
    _ = keyringNew(&ring)
    var values: [OpaquePointer?] = [nil, ring]
    var index = 0
    while index + 8 <= input.count {
        var raw: UInt = 0
        for byte in input[index..<(index + 8)].reversed() { raw = raw << 8 | UInt(byte) }
        values.append(OpaquePointer(bitPattern: raw))
        index += 8
    }
    keyringFree(ring)  // now stale too
    for value in values {
        var length: UInt64 = 0
        var byte: UInt8 = 0
        _ = fileUnlock(value, value)
        _ = filePlaintextLength(value, &length)
        _ = fileDecryptInto(value, &byte, 1)
        _ = fileVerify(value)
        _ = fileCheckEnvironment(value, nil, nil)
        _ = keyringAddTrustKey(value, "x", 1)
        _ = keyringAddRawKey(value, "x", 1)
        fileClose(value)
        keyringFree(value)
        bufferFree(UnsafeMutablePointer(value.map { UnsafeMutablePointer<UInt8>($0) }))
    }
}

private func statuses(_ input: UnsafeBufferPointer<UInt8>) {
    var index = 0
    while index + 4 <= input.count {
        let code = Int32(
            bitPattern: UInt32(input[index]) | UInt32(input[index + 1]) << 8
                | UInt32(input[index + 2]) << 16 | UInt32(input[index + 3]) << 24)
        guard strlen(statusName(code)) < 64, strlen(statusMeaning(code)) < 200 else {
            fatalError("status strings")
        }
        index += 4
    }
    _ = abiVersion()
    _ = version()
}

/// SwiftPM links executables with `main` aliased to `FuzzCABI_main`; hand control to libFuzzer's driver.
@_cdecl("FuzzCABI_main")
public func fuzzCABIMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}

private func serverBytes(_ input: UnsafeBufferPointer<UInt8>) {
    var pin = [CChar](repeating: 0, count: 65)
    if tlsSPKISHA256(input.baseAddress, UInt(input.count), &pin, 65) == 0 {
        guard strlen(pin) == 64 else { fatalError("the pin is not 64 hex digits") }
    }
    var ring: OpaquePointer? = nil
    guard keyringNew(&ring) == 0 else { fatalError("keyring_new failed") }
    defer { keyringFree(ring) }
    var request: OpaquePointer? = nil
    _ = serverRequestNew(nil, "http://127.0.0.1:1", &request)
    let stale = OpaquePointer(bitPattern: UInt(0x4000))
    _ = keyringAddServerAnswer(ring, stale, 200, input.baseAddress, UInt(input.count))
    _ = keyringAddServerUnreachable(ring, stale, "down")
    serverRequestFree(stale)
}
