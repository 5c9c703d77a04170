import ModelSealCore

/// Constants and the fixed header of the bundle container (spec/BUNDLE.md §2).
///
/// ```
/// bundle = magic(8) || version(1) || reserved(3) || manifest_length(4) || manifest
///          || signatures_length(4) || signatures || member_0 || member_1 || ... (manifest order, no padding)
/// ```
/// All integers big-endian. The file ends exactly after the last member.
public enum BundleFormat {
    /// `\x89MSPKG\r\n`: high bit first and CR LF, like the sealed file's magic.
    public static let magic = Magic.bundle
    /// The only version this implementation reads and writes.
    public static let version: UInt8 = 1
    /// Bytes before the manifest.
    public static let fixedHeaderLength = 16
    /// Largest manifest.
    public static let maximumManifestLength = 1 << 20
    /// Largest signature block.
    public static let maximumSignaturesLength = 64 << 10
    /// Most signatures.
    public static let maximumSignatures = 16
    /// Most members.
    public static let maximumMembers = 1024
    /// Largest member and largest total: 2^53 − 1, the largest canonical JSON integer.
    public static let maximumSize = Int(JSONWriter.maximumCanonicalInteger)
    /// Copy buffer: streaming pack and unpack hold one of these, whatever the member size.
    public static let bufferSize = 1 << 20
    /// Domain separation of the signed message.
    public static let signatureLabel = Array("modelseal/v1 bundle-manifest".utf8) + [0]
}
