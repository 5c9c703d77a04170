/// Why a bundle cannot be written, read, verified or unpacked (spec/BUNDLE.md).
///
/// Signature failures are `SigningError`s (the same as for sealed files), so "unsigned",
/// "untrusted signer" and "invalid signature" mean one thing everywhere.
public enum BundleError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The first bytes are not the bundle magic.
    case notBundle
    /// The version byte is not 1.
    case unsupportedVersion(UInt8)
    /// The fixed header or signature block breaks the layout.
    case malformed(offset: Int, reason: String)
    /// The manifest is not canonical JSON of the manifest schema.
    case malformedManifest(String)
    /// A member name that could escape the target folder or is not portable.
    case unsafeMemberName(String, reason: String)
    /// The member bytes do not add up to what the manifest declares.
    case sizeMismatch(String)
    /// A member's bytes differ from the manifest's SHA-256.
    case memberAltered(name: String)
    /// A sealed folder's files differ from its set manifest: missing, extra, swapped or changed (spec/FOLDERS.md).
    case folderAltered(String)
    /// A file given to `pack` that is not a regular file (link, device, folder, FIFO).
    case unsupportedInput(path: String, reason: String)
    /// Reading an input failed.
    case inputFailed(String)
    /// Writing the output failed, or it exists.
    case outputFailed(String)

    public var description: String {
        switch self {
        case .notBundle: "not a ModelSeal bundle (.mspkg): wrong magic"
        case .unsupportedVersion(let version): "unsupported bundle version \(version): made by a newer modelseal?"
        case .malformed(let offset, let reason): "malformed bundle at byte \(offset): \(reason)"
        case .malformedManifest(let reason): "malformed bundle manifest: \(reason)"
        case .unsafeMemberName(let name, let reason): "refusing bundle member '\(name)': \(reason)"
        case .sizeMismatch(let reason): "bundle altered: \(reason)"
        case .memberAltered(let name):
            "bundle altered: member '\(name)' differs from the signed manifest (SHA-256 mismatch); nothing was unpacked"
        case .folderAltered(let reason): "sealed folder altered: \(reason); nothing was returned"
        case .unsupportedInput(let path, let reason): "cannot pack \(path): \(reason)"
        case .inputFailed(let reason): reason
        case .outputFailed(let reason): reason
        }
    }
}
