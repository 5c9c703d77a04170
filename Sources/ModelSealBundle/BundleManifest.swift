import ContainerFormat
import ModelSealCore

/// The signed list of members (spec/BUNDLE.md §3): canonical JSON, first in the file.
///
/// ```
/// {"created_by":S,"members":[{"name":S,"role":S,"sha256":HEX64,"size":INT}],"schema":"modelseal-bundle/1"}
/// ```
public struct BundleManifest: Sendable, Equatable {
    public static let schema = "modelseal-bundle/1"

    /// What a member is for (shown by `verify`, used by the customer README).
    public enum Role: String, Sendable, CaseIterable {
        case readme, model, signature, contract, environment
        case condaPack = "conda-pack"
        case license, other
    }

    /// One member.
    public struct Member: Sendable, Equatable {
        public let name: String
        public let role: Role
        public let size: Int
        /// SHA-256 of the member's bytes.
        public let sha256: [UInt8]
        public init(name: String, role: Role, size: Int, sha256: [UInt8]) {
            self.name = name
            self.role = role
            self.size = size
            self.sha256 = sha256
        }
    }

    /// Tool and version that packed the bundle.
    public let createdBy: String
    /// Members in file order.
    public let members: [Member]

    /// A manifest; names and sizes are validated.
    public init(createdBy: String, members: [Member]) throws(BundleError) {
        guard members.count <= BundleFormat.maximumMembers else {
            throw .malformedManifest("\(members.count) members, over the cap of \(BundleFormat.maximumMembers)")
        }
        var total = 0
        for member in members {
            try MemberName.validate(member.name)
            guard member.size >= 0, member.size <= BundleFormat.maximumSize, member.sha256.count == 32 else {
                throw .malformedManifest("member '\(member.name)' has an invalid size or hash")
            }
            let (sum, overflow) = total.addingReportingOverflow(member.size)
            guard !overflow, sum <= BundleFormat.maximumSize else {
                throw .malformedManifest("member sizes add up past 2^53")
            }
            total = sum
        }
        try MemberName.validateSet(members.map(\.name))
        guard !createdBy.isEmpty, createdBy.utf8.count <= 256 else {
            throw .malformedManifest("created_by must be 1 to 256 bytes")
        }
        self.createdBy = createdBy
        self.members = members
    }

    /// Sum of member sizes (no overflow: checked at init).
    public var totalSize: Int { members.reduce(0) { $0 + $1.size } }

    /// The canonical bytes.
    public func encoded() -> [UInt8] {
        let value = JSONValue.object([
            ("created_by", .string(createdBy)),
            (
                "members",
                .array(
                    members.map { member in
                        .object([
                            ("name", .string(member.name)), ("role", .string(member.role.rawValue)),
                            ("sha256", .string(Hex.encode(member.sha256))), ("size", .number(String(member.size))),
                        ])
                    })
            ),
            ("schema", .string(Self.schema)),
        ])
        return JSONWriter.canonical(value) ?? []
    }

    /// Parses canonical manifest bytes: anything `encoded()` would not produce exactly is refused.
    public static func parse(_ bytes: [UInt8]) throws(BundleError) -> BundleManifest {
        let value: JSONValue
        do throws(JSONError) {
            value = try JSONParser.parse(bytes)
        } catch {
            throw .malformedManifest("not JSON: \(error)")
        }
        guard let top = value.objectValue, Set(top.map(\.0)) == ["created_by", "members", "schema"], top.count == 3
        else {
            throw .malformedManifest("members must be exactly created_by, members, schema")
        }
        guard value["schema"]?.stringValue == schema else { throw .malformedManifest("schema is not \(schema)") }
        guard let createdBy = value["created_by"]?.stringValue, let list = value["members"]?.arrayValue else {
            throw .malformedManifest("created_by must be a string and members an array")
        }
        guard list.count <= BundleFormat.maximumMembers else {
            throw .malformedManifest("more than \(BundleFormat.maximumMembers) members")
        }
        var members: [Member] = []
        for (index, entry) in list.enumerated() {
            guard let fields = entry.objectValue, Set(fields.map(\.0)) == ["name", "role", "sha256", "size"],
                fields.count == 4,
                let name = entry["name"]?.stringValue, let roleText = entry["role"]?.stringValue,
                let hashText = entry["sha256"]?.stringValue, case .number(let sizeText)? = entry["size"]
            else {
                throw .malformedManifest(
                    "member \(index) must have exactly name, role, sha256, size (no links or other types exist)")
            }
            guard let role = Role(rawValue: roleText) else {
                throw .malformedManifest("member '\(name)': unknown role '\(roleText)'")
            }
            guard JSONWriter.isCanonicalInteger(sizeText), let size = Int(sizeText) else {
                throw .malformedManifest("member '\(name)': size \(sizeText) is not an integer up to 2^53 − 1")
            }
            guard let hash = Hex.decode(hashText), hash.count == 32 else {
                throw .malformedManifest("member '\(name)': sha256 must be 64 lowercase hex digits")
            }
            members.append(Member(name: name, role: role, size: size, sha256: hash))
        }
        let manifest = try BundleManifest(createdBy: createdBy, members: members)
        guard manifest.encoded() == bytes else { throw .malformedManifest("not in canonical form") }
        return manifest
    }
}
