/// Names and limits of the OpenSSF model signing format (sigstore/model-transparency, PyPI `model-signing` 1.x),
/// key-based mode: an in-toto statement in a DSSE envelope in a Sigstore bundle (JSON).
///
/// ```
/// bundle    = { "mediaType": bundleMediaType,
///               "verificationMaterial": { "publicKey": { "hint": hex(SHA-256(PEM of the key)) }, "tlogEntries": [] },
///               "dsseEnvelope": { "payload": base64(statement), "payloadType": payloadType,
///                                 "signatures": [ { "sig": base64(DER ECDSA over PAE(statement)), "keyid": "" } ] } }
/// statement = { "_type": statementType, "subject": [ { "name": model name, "digest": { "sha256": hex(root) } } ],
///               "predicateType": predicateType,
///               "predicate": { "serialization": { "method": "files", "hash_type": "sha256",
///                                                 "allow_symlinks": false, "ignore_paths": [...] },
///                              "resources": [ { "name": path, "algorithm": "sha256", "digest": hex } ... ] } }
/// root      = SHA-256(digest_0 || digest_1 || ...) over the resources in the order listed
/// ```
public enum OMSFormat {
    /// The only bundle media type `model_signing` writes and accepts in key mode.
    public static let bundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
    /// DSSE payload type of an in-toto statement.
    public static let payloadType = "application/vnd.in-toto+json"
    /// in-toto statement type, version 1.
    public static let statementType = "https://in-toto.io/Statement/v1"
    /// The predicate of `model_signing` 1.x signatures.
    public static let predicateType = "https://model_signing/signature/v1.0"
    /// The pre-1.0 predicate (`model_signing` 0.2), which ModelSeal does not read.
    static let legacyPredicateType = "https://model_signing/Digests/v0.1"
    /// Paths `model_signing` ignores by default (its `ignore_git_paths`), relative to the model.
    public static let gitPaths = [".git", ".gitattributes", ".github", ".gitignore"]
    /// Default shard size of `model_signing`'s shard serialization (1 GB, decimal).
    public static let defaultShardSize = 1_000_000_000

    /// Largest signature file read: a bundle listing a million files is about 150 MiB of JSON; 64 MiB is plenty
    /// for real models and bounds what a hostile file can make us parse.
    public static let maximumBundleLength = 64 << 20
    /// Most resources (files or shards) a manifest may list or a model may have.
    public static let maximumResources = 1_000_000
    /// Deepest directory nesting walked.
    public static let maximumDepth = 256
    /// Smallest shard size read from a signature (tiny ones are legal; `maximumResources` bounds the work).
    public static let minimumShardSize = 1
    /// Most ignore paths read from a signature.
    public static let maximumIgnorePaths = 4096
}
