@testable import ModelSealLicensing

#if canImport(Glibc)
    import Glibc
#endif

/// One swtpm (the Debian TPM 2.0 emulator) on a unix socket in a temporary folder, started for one
/// test and stopped when released. Its TCTI string is `swtpm:path=<socket>`.
final class SoftwareTPM: @unchecked Sendable {
    let folder: String
    var tcti: String { "swtpm:path=\(folder)/tpm.sock" }

    init() throws {
        var template = Array("/tmp/modelseal-swtpm-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ $0.baseAddress.flatMap { mkdtemp($0) } }) else {
            throw TPMError.unavailable("mkdtemp failed")
        }
        folder = String(cString: made)
        try run(
            "mkdir -p '\(folder)/state' && swtpm socket --tpm2 --tpmstate dir='\(folder)/state' "
                + "--server type=unixio,path='\(folder)/tpm.sock' --ctrl type=unixio,path='\(folder)/tpm.sock.ctrl' "
                + "--flags not-need-init,startup-clear --pid file='\(folder)/pid' --daemon")
        // The socket appears once swtpm listens.
        for _ in 0..<200 where access(folder + "/tpm.sock", F_OK) != 0 { usleep(10_000) }
    }

    deinit {
        // Only the swtpm this fixture started: its own pid file.
        _ = try? run("kill $(cat '\(folder)/pid') 2>/dev/null; rm -rf '\(folder)'")
    }

    func connect() throws -> TPMConnection { try TPMConnection(tcti: tcti) }
}
