import ContainerEngine
import Crypto
import ModelSealCore

/// A model as `model_signing` describes it: every file (or file shard) paired with its SHA-256.
public struct ModelManifest: Equatable, Sendable {
    /// One file or shard and its digest.
    public struct Resource: Equatable, Sendable {
        /// `path` for files, `path:start:end` for shards; paths relative to the model, `/`-separated.
        public let name: String
        /// SHA-256 of the file or shard (32 bytes).
        public let digest: [UInt8]

        public init(name: String, digest: [UInt8]) {
            self.name = name
            self.digest = digest
        }
    }

    /// The model's last path component: informative only, never compared.
    public var modelName: String
    /// How resources were cut.
    public var serialization: OMSSerialization
    /// Paths the signer excluded (relative to the model), recorded so the verifier excludes them too.
    public var ignorePaths: [String]
    /// The resources, in the order they are listed.
    public var resources: [Resource]

    public init(modelName: String, serialization: OMSSerialization, ignorePaths: [String], resources: [Resource]) {
        self.modelName = modelName
        self.serialization = serialization
        self.ignorePaths = ignorePaths
        self.resources = resources
    }

    /// The subject digest: SHA-256 over the resource digests in the order listed.
    public var rootDigest: [UInt8] {
        var hasher = SHA256()
        for resource in resources { hasher.update(data: resource.digest) }
        return Array(hasher.finalize())
    }

    /// Hashes the model at `path` (a file or a directory) on all cores.
    ///
    /// `ignorePaths` are relative to the model; `model_signing`'s git paths are always ignored too (its default),
    /// and recorded with the others.
    public static func hashing(
        modelAt path: String, serialization: OMSSerialization = .files, ignoring ignorePaths: [String] = []
    ) throws(IOError) -> ModelManifest {
        var recorded: [String] = []
        for entry in ignorePaths + OMSFormat.gitPaths where !recorded.contains(entry) { recorded.append(entry) }
        let model = try ModelFiles(root: path, ignoring: recorded.compactMap(ModelFiles.components(ofRelativePath:)))
        var names: [String] = []
        var jobs: [ParallelDigests.Job] = []
        for file in model.files {
            switch serialization {
            case .files:
                names.append(file.name)
                jobs.append(.init(path: file.path, offset: 0, length: nil))
            case .shards(let size):
                var start = 0
                while start < file.size {
                    let end = min(start + size, file.size)
                    guard jobs.count < OMSFormat.maximumResources else {
                        throw .refused(path: "the model", reason: "has more than \(OMSFormat.maximumResources) shards")
                    }
                    names.append("\(file.name):\(start):\(end)")
                    jobs.append(.init(path: file.path, offset: start, length: end - start))
                    start = end
                }
            }
        }
        let digests = try ParallelDigests.sha256(jobs)
        return ModelManifest(
            modelName: modelName(of: path), serialization: serialization, ignorePaths: recorded,
            resources: zip(names, digests).map { Resource(name: $0, digest: $1) })
    }

    /// What differs between this manifest (the signed one) and `actual` (the files on disk): names missing on disk,
    /// extra on disk, and present in both with another digest. All empty when they match.
    public func differences(from actual: ModelManifest) -> (missing: [String], extra: [String], changed: [String]) {
        let expected = Dictionary(resources.map { ($0.name, $0.digest) }, uniquingKeysWith: { first, _ in first })
        let found = Dictionary(actual.resources.map { ($0.name, $0.digest) }, uniquingKeysWith: { first, _ in first })
        let missing = expected.keys.filter { found[$0] == nil }.sorted()
        let extra = found.keys.filter { expected[$0] == nil }.sorted()
        let changed = expected.compactMap { name, digest in found[name].flatMap { $0 == digest ? nil : name } }.sorted()
        return (missing, extra, changed)
    }

    /// `model_signing` names a model after the path's last component, or the resolved directory's for `.`/`..`.
    static func modelName(of path: String) -> String {
        let last = path.split(separator: "/").last.map(String.init) ?? ""
        guard last.isEmpty || last == "." || last == ".." else { return last }
        return (PathResolution.resolved(path) ?? path).split(separator: "/").last.map(String.init) ?? ""
    }
}
