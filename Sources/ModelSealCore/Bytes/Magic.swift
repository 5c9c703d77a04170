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
}
