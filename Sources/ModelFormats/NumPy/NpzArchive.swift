import ModelSealCore

/// A NumPy `.npz` file: a zip archive of `.npy` members (stored by `np.savez`, deflated by
/// `np.savez_compressed`), read through the strict zip walker.
public struct NpzArchive: Sendable {
    /// Largest compressed member we inflate into memory.
    public static let maxInflatedMemberBytes = 1 << 30

    /// One array; `name` is the member name without `.npy`.
    public struct Member: Sendable {
        public var name: String
        public var array: NpyArray
        /// For stored members: offset of the member's data in the archive (add to `array.dataRange`).
        /// `nil` for compressed members, whose array was read from inflated bytes.
        public var archiveOffset: Int?
    }

    public var members: [Member]
    public var zipDiagnostics: [ZipDiagnostic]

    /// Reads every `.npy` member's header (and object arrays' pickles).
    public static func read(from source: any ByteSource, allowlist: PickleAllowlist = .torchWeightsOnly) throws
        -> NpzArchive
    {
        let archive = try ZipArchive(source: source)
        var members: [Member] = []
        for entry in archive.entries {
            guard entry.name.hasSuffix(".npy") else {
                throw ModelFormatsError.malformed(
                    what: ".npz archive", offset: entry.localHeaderOffset,
                    reason: "member \"\(entry.name)\" is not a .npy file")
            }
            let name = String(entry.name.dropLast(4))
            if entry.method == 0, let window = SliceSource(source, range: entry.dataRange) {
                members.append(
                    Member(
                        name: name, array: try NpyArray.read(from: window, allowlist: allowlist),
                        archiveOffset: entry.dataOffset))
            } else {
                let bytes = try archive.read(entry, limit: maxInflatedMemberBytes)
                members.append(
                    Member(
                        name: name, array: try NpyArray.read(from: MemorySource(bytes), allowlist: allowlist),
                        archiveOffset: nil))
            }
        }
        return NpzArchive(members: members, zipDiagnostics: archive.diagnostics)
    }
}
