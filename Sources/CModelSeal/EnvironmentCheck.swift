import ModelSealEnvironment
import ModelSealKit

/// Checks an unlocked file's environment contract (spec/ENVIRONMENT.md) against a Python environment.
///
/// The file must be unlocked first, so the contract is authenticated by the header MAC (and by
/// any signature). `python` is an interpreter path or environment folder (`sys.executable` /
/// `sys.prefix`). Returns status 40/41 with the readable diff as the last error when the policy
/// forbids the difference; 0 otherwise. `out_report` (may be NULL) receives the differences the
/// policy tolerates (empty string when none, or when the file has no contract), freed with
/// `modelseal_buffer_free`.
@_cdecl("modelseal_file_check_environment")
public func fileCheckEnvironment(
    _ file: OpaquePointer?, _ python: UnsafePointer<CChar>?,
    _ outReport: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?
) -> Int32 {
    boundary {
        let file = try openedFile(file)
        let python = try Argument.string(python, "python")
        let contract = try file.withUnlocked { unlocked in
            try unlocked.sealedFile.flatMap { try EnvironmentContracts.contract(of: $0) }
        }
        var text = ""
        if let contract {
            let report = try EnvironmentContracts.check(contract, python: python)
            if !report.differences.isEmpty { text = report.rendered }
        }
        if let outReport {
            let bytes = Array(text.utf8) + [0]
            let buffer = try LibraryBuffers.allocate(bytes.count)
            bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
            outReport.pointee = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self)
        }
    }
}
