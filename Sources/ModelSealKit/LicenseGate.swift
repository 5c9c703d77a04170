import ContainerEngine
import ModelSealKeys
import ModelSealLicensing

/// A license to open sealed files with: `open --license FILE` in the CLI, and the entry point the
/// C ABI and Python `load(..., license="acme.lic")` use.
///
/// ```swift
/// var opener = ModelOpener(identities: [])
/// opener.license = try LicenseGate(path: "acme.lic", use: .memory)   // Python: .memory; open -o: .file
/// let result = try opener.open(source, to: sink, sinkReleasesImmediately: true)
/// result.licenseWarnings   // guard findings the policy says to report (print them)
/// ```
///
/// Errors are `LicenseError` (status codes 30–39, Python `LicenseError`). The machine's licensing
/// folder is `$MODELSEAL_LICENSE_DIR` (docs/LICENSING.md) unless `directory` is given.
public struct LicenseGate: Sendable {
    /// The license, its vendor signature verified.
    public let signed: SignedLicense
    /// How the opened model is released.
    public let use: LicenseUse
    let validator: LicenseValidator

    /// Reads and verifies the license file at `path`.
    public init(
        path: String, use: LicenseUse, directory: LicensingDirectory = .fromEnvironment(),
        records: LicenseRecords = .fromEnvironment()
    ) throws {
        let bytes: [UInt8]
        do {
            bytes = try KeyFiles.read(path)
        } catch {
            throw StatusError(.inputError, "license \(path): \(error)")
        }
        signed = try SignedLicense(encoded: bytes)
        self.use = use
        validator = LicenseValidator(directory: directory, records: records)
    }

    /// Runs the guards and every license check for `file` with core dumps already off.
    func authorize(_ file: SealedFile) throws -> LicenseAuthorization {
        SecretMemory.disableCoreDumps()
        return try validator.authorize(signed, for: file, use: use)
    }
}
