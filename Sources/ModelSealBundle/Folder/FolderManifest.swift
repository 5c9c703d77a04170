import ModelSealCore

/// The set manifest of a sealed model folder (spec/FOLDERS.md): every file of the folder by name, sealed
/// members bound by their sealed length, plaintext length, header hash (and, when signed, the Merkle root
/// of their chunks), clear members by length and SHA-256.
///
/// Byte layout: canonical JSON (RFC 8785) of
/// `{"files":[MEMBER...],"format":"modelseal-folder","version":1}`, members sorted by name, where a
/// sealed member is `{"chunks_root"?,"header_sha256","length","name","plaintext_length","sealed":true}`
/// and a clear one `{"length","name","sealed":false,"sha256"}`. The manifest itself is sealed as
/// `manifestName` in the folder, to the same recipients and signed under the same key as the members.
public struct FolderManifest: Sendable, Equatable {
    /// The sealed manifest's file name inside the folder.
    public static let manifestName = "modelseal-folder.mseal"
    /// The suffix of a sealed member's file (`NAME.mseal` holds member `NAME`).
    public static let sealedSuffix = ".mseal"
    /// The `format` value.
    public static let formatName = "modelseal-folder"
    /// Largest manifest accepted, in bytes.
    public static let maximumBytes = 16 << 20
    /// Most members in one folder.
    public static let maximumMembers = 100_000

    /// One file of the folder.
    public struct Member: Sendable, Equatable {
        /// The file's name as the loader sees it (`config.json`, `model-00001-of-00003.safetensors`).
        public let name: String
        /// How the member is bound.
        public let binding: Binding

        public init(name: String, binding: Binding) {
            self.name = name
            self.binding = binding
        }

        /// The name of the file holding the member in the folder.
        public var fileName: String {
            if case .sealed = binding { return name + FolderManifest.sealedSuffix }
            return name
        }
    }

    /// How a member is bound to the manifest.
    public enum Binding: Sendable, Equatable {
        /// A sealed file: its length, plaintext length, SHA-256 of its header bytes, and (signed) chunk root.
        case sealed(length: Int, plaintextLength: Int, headerSHA256: [UInt8], chunksRoot: [UInt8]?)
        /// A file in clear: its length and SHA-256.
        case clear(length: Int, sha256: [UInt8])
    }

    /// The members, sorted by name.
    public let members: [Member]

    /// A manifest of `members` (sorted here); throws on a name that breaks the rules or a duplicate.
    public init(members: [Member]) throws(BundleError) {
        let sorted = members.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        try Self.validate(names: sorted.map(\.name))
        self.members = sorted
    }

    /// The member named `name`, if any.
    public func member(named name: String) -> Member? { members.first { $0.name == name } }

    /// The file names a folder with this manifest holds: the manifest and every member's file.
    public var fileNames: [String] { [Self.manifestName] + members.map(\.fileName) }

    static func validate(names: [String]) throws(BundleError) {
        guard names.count <= maximumMembers else {
            throw .malformedManifest("\(names.count) files is more than \(maximumMembers)")
        }
        for name in names {
            try MemberName.validate(name)
            if name.contains("/") {
                throw .unsafeMemberName(name, reason: "a sealed folder holds files, not subfolders")
            }
            if name == manifestName || name.hasSuffix(sealedSuffix) {
                throw .unsafeMemberName(name, reason: "names ending in \(sealedSuffix) are reserved for sealed members")
            }
        }
        try MemberName.validateSet(names + names.map { $0 + sealedSuffix } + [manifestName])
        for (left, right) in zip(names, names.dropFirst())
        where !Array(left.utf8).lexicographicallyPrecedes(Array(right.utf8)) {
            throw .malformedManifest("members are not sorted by name, or repeat: '\(left)', '\(right)'")
        }
    }
}
