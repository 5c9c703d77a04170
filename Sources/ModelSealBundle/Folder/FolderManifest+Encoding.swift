import ModelSealCore

extension FolderManifest {
    /// The canonical JSON bytes.
    public func encoded() -> [UInt8] {
        let files: [JSONValue] = members.map { member in
            switch member.binding {
            case .sealed(let length, let plaintextLength, let headerSHA256, let chunksRoot):
                var object: JSONObject = [
                    "header_sha256": .string(Hex.encode(headerSHA256)), "length": .integer(length),
                    "name": .string(member.name), "plaintext_length": .integer(plaintextLength), "sealed": .bool(true),
                ]
                if let chunksRoot { object["chunks_root"] = .string(Hex.encode(chunksRoot)) }
                return .object(object)
            case .clear(let length, let sha256):
                return .object([
                    "length": .integer(length), "name": .string(member.name), "sealed": .bool(false),
                    "sha256": .string(Hex.encode(sha256)),
                ])
            }
        }
        let document: JSONValue = .object([
            "files": .array(files), "format": .string(Self.formatName), "version": .integer(1),
        ])
        // Lengths are file sizes (far below 2^53) and names are strings: the canonical form always exists.
        return JSONWriter.canonical(document) ?? []
    }

    /// Parses a manifest: canonical JSON of exactly the schema, names by the rules, sorted, no duplicates.
    public static func parse(_ bytes: [UInt8]) throws(BundleError) -> FolderManifest {
        let value: JSONValue
        do throws(JSONError) {
            value = try JSONParser.parse(
                bytes,
                options: .init(
                    maximumBytes: maximumBytes, maximumDepth: 4, maximumElements: maximumMembers, canonical: true))
        } catch {
            throw .malformedManifest("folder manifest: \(error)")
        }
        guard let root = value.objectValue, Set(root.names) == ["files", "format", "version"] else {
            throw .malformedManifest("folder manifest: expected exactly files, format and version")
        }
        guard root["format"]?.stringValue == formatName else {
            throw .malformedManifest("folder manifest: format is not \(formatName)")
        }
        guard root["version"]?.intValue == 1 else {
            throw .malformedManifest("folder manifest: unsupported version (this modelseal reads version 1)")
        }
        guard let files = root["files"]?.arrayValue else {
            throw .malformedManifest("folder manifest: files is not an array")
        }
        var members: [Member] = []
        for file in files { members.append(try member(file)) }
        try validate(names: members.map(\.name))
        return try FolderManifest(members: members)
    }

    private static func member(_ value: JSONValue) throws(BundleError) -> Member {
        guard let object = value.objectValue, let name = object["name"]?.stringValue,
            let sealed = object["sealed"]?.boolValue, let length = object["length"]?.intValue, length >= 0
        else {
            throw .malformedManifest("folder manifest: a file entry lacks name, sealed or length")
        }
        if !sealed {
            guard Set(object.names) == ["length", "name", "sealed", "sha256"] else {
                throw .malformedManifest("folder manifest: clear file '\(name)' has unexpected fields")
            }
            return Member(name: name, binding: .clear(length: length, sha256: try digest(object["sha256"], name)))
        }
        let expected: Set<String> = ["header_sha256", "length", "name", "plaintext_length", "sealed"]
        let names = Set(object.names)
        guard names == expected || names == expected.union(["chunks_root"]) else {
            throw .malformedManifest("folder manifest: sealed file '\(name)' has unexpected fields")
        }
        guard let plaintextLength = object["plaintext_length"]?.intValue, plaintextLength >= 0 else {
            throw .malformedManifest("folder manifest: sealed file '\(name)' lacks plaintext_length")
        }
        let root = try object["chunks_root"].map { (value) throws(BundleError) in try digest(value, name) }
        return Member(
            name: name,
            binding: .sealed(
                length: length, plaintextLength: plaintextLength,
                headerSHA256: try digest(object["header_sha256"], name),
                chunksRoot: root))
    }

    private static func digest(_ value: JSONValue?, _ name: String) throws(BundleError) -> [UInt8] {
        guard let text = value?.stringValue, text.utf8.count == 64, let bytes = Hex.decode(text),
            Hex.encode(bytes) == text
        else {
            throw .malformedManifest("folder manifest: '\(name)' has a hash that is not 64 lowercase hex digits")
        }
        return bytes
    }
}
