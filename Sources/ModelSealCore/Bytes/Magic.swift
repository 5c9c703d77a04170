/// The leading bytes that identify each kind of file ModelSeal reads: one table, so every module
/// sniffs content with the same constants (the container, bundle and model-format readers, the
/// scanner, `inspect`, the sealed metadata's content type).
public enum Magic {
    /// A sealed ModelSeal file (spec/CONTAINER.md §2): `\x89MSEAL\r\n`.
    public static let sealed: [UInt8] = [0x89, 0x4D, 0x53, 0x45, 0x41, 0x4C, 0x0D, 0x0A]
    /// A delivery bundle (spec/BUNDLE.md §2): `\x89MSPKG\r\n`.
    public static let bundle: [UInt8] = [0x89, 0x4D, 0x53, 0x50, 0x4B, 0x47, 0x0D, 0x0A]
    /// A zip local file header (`PK\x03\x04`): PyTorch's zip checkpoints, `.npz`.
    public static let zipLocalHeader: [UInt8] = [0x50, 0x4B, 0x03, 0x04]
    /// A NumPy `.npy` array: `\x93NUMPY`.
    public static let npy: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
    /// Compressed or archive containers the scanner does not open, though loaders such as joblib
    /// (gzip, bz2, xz, zstd) or a user's unpacker would: 7z, gzip, bzip2, xz, zstd, RAR.
    public static let unopenedContainers: [(name: String, bytes: [UInt8])] = [
        ("7z", [0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]), ("gzip", [0x1F, 0x8B]), ("bzip2", [0x42, 0x5A, 0x68]),
        ("xz", [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]), ("zstd", [0x28, 0xB5, 0x2F, 0xFD]),
        ("rar", [0x52, 0x61, 0x72, 0x21, 0x1A, 0x07]),
    ]
}
