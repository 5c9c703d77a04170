import FuzzSupport
import ModelSealAttestation
import ModelSealCore
import ModelSealLicensing

// License files and license requests: canonical JSON from customers and vendors; the TPM2B_PUBLIC of a request's
// attestation (ModelSealAttestation), also on the raw input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let value = try? JSONValue.parseCanonical(bytes, what: "fuzz") {
        // Only canonical input is accepted, so it re-encodes to itself.
        guard value.canonicalBytes == bytes else { fatalError("canonical JSON round trip") }
    }
    if let request = try? LicenseRequest(encoded: bytes) {
        guard (try? LicenseRequest(encoded: request.encoded)) == request else { fatalError("request round trip") }
        if let evidence = request.attestation { _ = try? MachineKeyPublicArea(evidence.machineKeyPublic) }
    }
    _ = try? MachineKeyPublicArea(bytes)
    _ = try? SignedLicense(encoded: bytes)
    return 0
}

/// SwiftPM links executables with `main` aliased to `FuzzLicense_main`; hand control to libFuzzer's driver.
@_cdecl("FuzzLicense_main")
public func fuzzLicenseMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzInput)
}
