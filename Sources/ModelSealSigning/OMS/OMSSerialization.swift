/// How a model is cut into resources before hashing: whole files, or fixed-size shards of files.
///
/// Only SHA-256 is supported: it is what `model_signing` writes by default (its BLAKE2b/BLAKE3 options are not in
/// its command line, and swift-crypto has neither).
public enum OMSSerialization: Equatable, Sendable {
    /// One resource per file, named by its path relative to the model (`.` for a single-file model).
    case files
    /// One resource per shard `[start, end)` of each non-empty file, named `path:start:end`.
    case shards(size: Int)

    /// The `method` field.
    var method: String {
        switch self {
        case .files: "files"
        case .shards: "shards"
        }
    }

    /// The `algorithm` of every resource: `sha256`, or `sha256-sharded-SIZE` for shards.
    var resourceAlgorithm: String {
        switch self {
        case .files: "sha256"
        case .shards(let size): "sha256-sharded-\(size)"
        }
    }
}
