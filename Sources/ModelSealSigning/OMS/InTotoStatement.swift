import ContainerFormat
import ModelSealCore

/// The in-toto v1 statement `model_signing` signs: the model name and root digest as subject, the manifest as
/// predicate (see `OMSFormat` for the layout).
enum InTotoStatement {
    /// The statement's JSON bytes for `manifest` (compact, members in a fixed order).
    static func encode(_ manifest: ModelManifest) -> [UInt8] {
        var serialization: JSONObject = [
            ("method", .string(manifest.serialization.method)),
            ("hash_type", .string("sha256")),
            ("allow_symlinks", .bool(false)),
        ]
        if case .shards(let size) = manifest.serialization { serialization["shard_size"] = .integer(size) }
        if !manifest.ignorePaths.isEmpty {
            serialization["ignore_paths"] = .array(manifest.ignorePaths.map { .string($0) })
        }
        let resources: [JSONValue] = manifest.resources.map {
            .object([
                ("name", .string($0.name)),
                ("algorithm", .string(manifest.serialization.resourceAlgorithm)),
                ("digest", .string(Hex.encode($0.digest))),
            ])
        }
        let subject: JSONValue = .object([
            ("name", .string(manifest.modelName)),
            ("digest", .object([("sha256", .string(Hex.encode(manifest.rootDigest)))])),
        ])
        let statement: JSONValue = .object([
            ("_type", .string(OMSFormat.statementType)),
            ("subject", .array([subject])),
            ("predicateType", .string(OMSFormat.predicateType)),
            ("predicate", .object([("serialization", .object(serialization)), ("resources", .array(resources))])),
        ])
        return Array(JSONWriter.serialize(statement).utf8)
    }

    /// The manifest a signed statement describes, after checking every field `model_signing` checks and more:
    /// types, one subject, a supported serialization, well-formed unique resources, and the root digest.
    static func decode(_ bytes: [UInt8]) throws(SigningError) -> ModelManifest {
        let header = try JSONText.decode(Header.self, from: bytes, what: "in-toto statement")
        guard header.type == OMSFormat.statementType else {
            throw .malformedSignature("statement type is '\(header.type)', expected '\(OMSFormat.statementType)'")
        }
        guard header.predicateType == OMSFormat.predicateType else {
            if header.predicateType == OMSFormat.legacyPredicateType {
                throw .malformedSignature(
                    "this is a pre-1.0 model_signing signature (\(header.predicateType)), which ModelSeal does not read: "
                        + "re-sign with model_signing 1.x")
            }
            throw .malformedSignature(
                "predicate type is '\(header.predicateType)', expected '\(OMSFormat.predicateType)'")
        }
        let statement = try JSONText.decode(Statement.self, from: bytes, what: "in-toto statement")
        guard statement.subject.count == 1, let subject = statement.subject.first else {
            throw .malformedSignature("the statement has \(statement.subject.count) subjects, expected exactly 1")
        }
        guard let rootHex = subject.digest["sha256"], let root = Hex.decode(rootHex, acceptingUppercase: true),
            root.count == 32
        else {
            throw .malformedSignature("the subject has no 32-byte hex 'sha256' digest")
        }
        let serialization = try serialization(statement.predicate.serialization)
        let ignorePaths = statement.predicate.serialization.ignorePaths ?? []
        guard ignorePaths.count <= OMSFormat.maximumIgnorePaths else {
            throw .malformedSignature("more than \(OMSFormat.maximumIgnorePaths) ignore paths")
        }
        guard statement.predicate.resources.count <= OMSFormat.maximumResources else {
            throw .malformedSignature("more than \(OMSFormat.maximumResources) resources")
        }
        var resources: [ModelManifest.Resource] = []
        resources.reserveCapacity(statement.predicate.resources.count)
        var seen = Set<String>()
        for entry in statement.predicate.resources {
            guard entry.algorithm == serialization.resourceAlgorithm else {
                throw .malformedSignature(
                    "resource '\(entry.name)' uses '\(entry.algorithm)', expected '\(serialization.resourceAlgorithm)' "
                        + "(ModelSeal verifies SHA-256 signatures only)")
            }
            guard let digest = Hex.decode(entry.digest, acceptingUppercase: true), digest.count == 32 else {
                throw .malformedSignature("resource '\(entry.name)' has no 32-byte hex digest")
            }
            guard seen.insert(entry.name).inserted else {
                throw .malformedSignature("resource '\(entry.name)' is listed twice")
            }
            resources.append(.init(name: entry.name, digest: digest))
        }
        let manifest = ModelManifest(
            modelName: subject.name ?? "", serialization: serialization, ignorePaths: ignorePaths, resources: resources)
        guard manifest.rootDigest == root else {
            throw .malformedSignature("the subject digest does not match the listed resources: inconsistent manifest")
        }
        return manifest
    }

    private static func serialization(_ fields: Serialization) throws(SigningError) -> OMSSerialization {
        guard fields.hashType == "sha256" else {
            throw .malformedSignature(
                "hash type '\(fields.hashType)' is not supported: ModelSeal verifies SHA-256 (model_signing's default)")
        }
        switch fields.method {
        case "files":
            return .files
        case "shards":
            // protobuf's Struct holds numbers as doubles: model_signing writes 1000000000.0.
            guard let size = fields.shardSize, size.rounded() == size, size >= Double(OMSFormat.minimumShardSize),
                size <= Double(1 << 50)
            else {
                throw .malformedSignature(
                    "shard size must be a whole number of at least \(OMSFormat.minimumShardSize) bytes")
            }
            return .shards(size: Int(size))
        default:
            throw .malformedSignature("serialization method '\(fields.method)' is not supported (files or shards)")
        }
    }

    private struct Header: Decodable {
        let type: String
        let predicateType: String
        enum CodingKeys: String, CodingKey {
            case type = "_type"
            case predicateType
        }
    }

    private struct Statement: Decodable {
        let subject: [Subject]
        let predicate: Predicate
    }

    private struct Subject: Decodable {
        let name: String?
        let digest: [String: String]
    }

    private struct Predicate: Decodable {
        let serialization: Serialization
        let resources: [Resource]
    }

    private struct Serialization: Decodable {
        let method: String
        let hashType: String
        let allowSymlinks: Bool?
        let shardSize: Double?
        let ignorePaths: [String]?
        enum CodingKeys: String, CodingKey {
            case method
            case hashType = "hash_type"
            case allowSymlinks = "allow_symlinks"
            case shardSize = "shard_size"
            case ignorePaths = "ignore_paths"
        }
    }

    private struct Resource: Decodable {
        let name: String
        let algorithm: String
        let digest: String
    }
}
