import ContainerEngine
import ContainerFormat
import Crypto
import ModelSealCore
import ModelSealSigning

/// Seals a model folder (a Hugging Face layout: config, weight shards, index, tokenizer files) into a new
/// folder with a sealed set manifest (spec/FOLDERS.md): weights and model configuration sealed as
/// `NAME.mseal`, other files copied in clear, every file bound by the manifest.
public enum FolderSealer {
    /// A signature key and the algorithm to sign every member and the manifest with.
    public typealias Signer = (key: SigningKey, algorithm: SignatureAlgorithm)

    /// Name suffixes of weight files, sealed by default.
    public static let weightSuffixes = [
        ".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".h5", ".msgpack", ".gguf", ".onnx", ".npz", ".npy",
    ]

    /// Whether `name` is sealed by default: weights, `config.json` and any `*.index.json`; tokenizer files,
    /// READMEs and licenses stay in clear (spec/FOLDERS.md §2).
    public static func sealsByDefault(_ name: String) -> Bool {
        name == "config.json" || name.hasSuffix(".index.json") || weightSuffixes.contains { name.hasSuffix($0) }
    }

    /// What sealing a folder produced.
    public struct Summary: Sendable {
        /// The manifest written (sealed) into the folder.
        public let manifest: FolderManifest
        /// Hidden files of the input that were left out (names starting with `.`).
        public let skipped: [String]
    }

    /// Seals every regular file of `folder` (no subfolders, links or devices) into the new folder `target`,
    /// staged beside it and renamed into place only when everything, manifest included, is written: on
    /// any failure nothing exists under `target`. `options` (suite, chunk size, extensions) applies to every
    /// sealed file; with `signer`, each sealed member and the manifest carry a signature trailer.
    public static func seal(
        folder: String, to target: String, recipients: [Recipient], options: SealOptions, signer: Signer?,
        seals: (String) -> Bool = sealsByDefault
    ) throws -> Summary {
        let names = try Directory.entries(folder, requireUTF8: true)
        let skipped = names.filter { $0.hasPrefix(".") }
        let files = names.filter { !$0.hasPrefix(".") }
        for name in files where FileKind(folder + "/" + name, followingLinks: false) != .file {
            throw BundleError.unsupportedInput(
                path: folder + "/" + name, reason: "a sealed folder holds regular files only (no folders or links)")
        }
        guard !files.isEmpty else { throw BundleError.unsupportedInput(path: folder, reason: "the folder is empty") }
        try FolderManifest.validate(names: files)
        let staging = try StagingDirectory(target: target)
        var members: [FolderManifest.Member] = []
        for name in files {
            let path = folder + "/" + name
            if seals(name) {
                var memberOptions = options
                memberOptions.metadata["name"] = name
                members.append(
                    try sealMember(
                        name, try InputFile(path: path), into: staging, recipients: recipients, options: memberOptions,
                        signer: signer))
            } else {
                members.append(try copyClear(name, from: path, into: staging))
            }
        }
        let manifest = try FolderManifest(members: members)
        var manifestOptions = options
        manifestOptions.metadata["name"] = FolderManifest.manifestName
        manifestOptions.progress = nil
        _ = try sealMember(
            FolderManifest.manifestName, MemorySource(manifest.encoded()), into: staging, recipients: recipients,
            options: manifestOptions, signer: signer, fileName: FolderManifest.manifestName)
        try staging.commit()
        return Summary(manifest: manifest, skipped: skipped)
    }

    private static func sealMember(
        _ name: String, _ input: ByteStream, into staging: StagingDirectory, recipients: [Recipient],
        options: SealOptions, signer: Signer?, fileName: String? = nil
    ) throws -> FolderManifest.Member {
        let sink = try StagedFileSink(staging, name: fileName ?? name + FolderManifest.sealedSuffix)
        var options = options
        options.hashingLeaves = signer != nil
        let summary = try Sealer.seal(input, to: sink, recipients: recipients, options: options)
        var root: [UInt8]? = nil
        if let signer {
            let entry = try FileSignatures.entry(
                key: signer.key, algorithm: signer.algorithm, headerBytes: summary.headerBytes,
                payloadLength: summary.payloadLength, leafHashes: summary.leafHashes)
            try sink.write(contentsOf: SignatureTrailer(leafHashes: summary.leafHashes, entries: [entry]).encoded())
            root = Merkle.root(summary.leafHashes)
        }
        try sink.synchronize()
        return FolderManifest.Member(
            name: name,
            binding: .sealed(
                length: sink.offset, plaintextLength: summary.plaintextLength,
                headerSHA256: Array(SHA256.hash(data: summary.headerBytes)), chunksRoot: root))
    }

    private static func copyClear(_ name: String, from path: String, into staging: StagingDirectory) throws
        -> FolderManifest.Member
    {
        let input = try InputFile(path: path)
        let sink = try StagedFileSink(staging, name: name)
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = try buffer.withUnsafeMutableBytes { try input.read(into: $0) }
            if count == 0 { break }
            try buffer[..<count].withUnsafeBytes { bytes in
                hasher.update(bufferPointer: bytes)
                try sink.write(bytes)
            }
        }
        try sink.synchronize()
        return FolderManifest.Member(
            name: name, binding: .clear(length: sink.offset, sha256: Array(hasher.finalize())))
    }
}
