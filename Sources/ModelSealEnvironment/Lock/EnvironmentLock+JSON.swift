import ModelSealCore

/// The lock's JSON schema (spec/ENVIRONMENT.md §1 (Lock)) and its canonical encoding.
///
/// ```
/// {"conda":null|{"packages":[{"build","channel","name","version"}],"spec":null|{...},"subdir":null|S},
///  "distributions":[{"name":S,"version":S}],
///  "platform":{"machine":S,"system":S},
///  "python":{"implementation":S,"version":S},
///  "schema":"modelseal-env/1",
///  "torch":null|{"cuda":S|null,"cudnn":S|null,"git_version":S|null,"hip":S|null,"version":S}}
/// ```
/// Every member is required (absent facts are `null`), no other member is allowed.
extension EnvironmentLock {
    /// Largest lock accepted, from a file or a header extension.
    public static let maximumEncodedLength = 1 << 20

    /// The canonical JSON bytes (no trailing newline).
    public func canonicalBytes() -> [UInt8] {
        // Every number-free value encodes: the force-free fallback is unreachable.
        JSONWriter.canonical(jsonValue) ?? []
    }

    /// The lock as a JSON value.
    public var jsonValue: JSONValue {
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        func package(_ package: CondaPackage) -> JSONValue {
            .object([
                ("build", .string(package.build)), ("channel", .string(package.channel)),
                ("name", .string(package.name)), ("version", .string(package.version)),
            ])
        }
        let condaValue: JSONValue =
            conda.map { conda in
                let specValue: JSONValue =
                    conda.spec.map { spec in
                        .object([
                            ("channels", .array(spec.channels.map(JSONValue.string))),
                            ("dependencies", .array(spec.dependencies.map(JSONValue.string))),
                            ("name", text(spec.name)),
                            ("packages", .array(spec.packages.map(package))),
                            ("pip", .array(spec.pip.map(JSONValue.string))),
                            ("source", .string(spec.source)),
                            ("subdir", text(spec.subdir)),
                        ])
                    } ?? .null
                return .object([
                    ("packages", .array(conda.packages.map(package))), ("spec", specValue),
                    ("subdir", text(conda.subdir)),
                ])
            } ?? .null
        let torchValue: JSONValue =
            torch.map { torch in
                .object([
                    ("cuda", text(torch.cuda)), ("cudnn", text(torch.cudnn)), ("git_version", text(torch.gitVersion)),
                    ("hip", text(torch.hip)), ("version", .string(torch.version)),
                ])
            } ?? .null
        return .object([
            ("conda", condaValue),
            (
                "distributions",
                .array(distributions.map { .object([("name", .string($0.name)), ("version", .string($0.version))]) })
            ),
            ("platform", .object([("machine", .string(platform.machine)), ("system", .string(platform.system))])),
            (
                "python",
                .object([("implementation", .string(python.implementation)), ("version", .string(python.version))])
            ),
            ("schema", .string(Self.schema)),
            ("torch", torchValue),
        ])
    }

    /// Reads a lock file: any strict JSON layout (whitespace, member order) of the schema.
    public static func parse(_ bytes: [UInt8]) throws(EnvironmentError) -> EnvironmentLock {
        guard bytes.count <= maximumEncodedLength else {
            throw .malformedLock("\(bytes.count) bytes is over the \(maximumEncodedLength)-byte cap")
        }
        let value: JSONValue
        do throws(JSONError) {
            value = try JSONParser.parse(bytes)
        } catch {
            throw .malformedLock("not JSON: \(error)")
        }
        return try LockDecoder.lock(value)
    }

    /// Reads the canonical form only (as embedded in a header): `canonicalBytes()` of the result equals `bytes`.
    public static func parseCanonical(_ bytes: [UInt8]) throws(EnvironmentError) -> EnvironmentLock {
        let lock = try parse(bytes)
        guard lock.canonicalBytes() == bytes else {
            throw .malformedLock("not in canonical form (RFC 8785 order and escaping, no whitespace)")
        }
        return lock
    }
}

/// Strict decoding of the schema: exact member sets, types, caps, sorted unique names.
enum LockDecoder {
    typealias Failure = EnvironmentError

    static func members(_ value: JSONValue, _ path: String, _ names: [String]) throws(Failure) -> [String: JSONValue] {
        guard let members = value.objectValue else { throw .malformedLock("\(path) must be an object") }
        var result: [String: JSONValue] = [:]
        for (name, member) in members {
            guard names.contains(name) else { throw .malformedLock("unknown member \(path).\(name)") }
            result[name] = member
        }
        for name in names where result[name] == nil { throw .malformedLock("missing member \(path).\(name)") }
        return result
    }

    static func string(_ value: JSONValue?, _ path: String) throws(Failure) -> String {
        guard let text = value?.stringValue else { throw .malformedLock("\(path) must be a string") }
        guard !text.isEmpty, text.utf8.count <= EnvironmentLock.maximumStringLength else {
            throw .malformedLock("\(path) must be 1 to \(EnvironmentLock.maximumStringLength) bytes")
        }
        return text
    }

    static func optionalString(_ value: JSONValue?, _ path: String) throws(Failure) -> String? {
        if value == .null { return nil }
        return try string(value, path)
    }

    static func array(_ value: JSONValue?, _ path: String) throws(Failure) -> [JSONValue] {
        guard let elements = value?.arrayValue else { throw .malformedLock("\(path) must be an array") }
        guard elements.count <= EnvironmentLock.maximumEntries else {
            throw .malformedLock(
                "\(path) has \(elements.count) entries, over the cap of \(EnvironmentLock.maximumEntries)")
        }
        return elements
    }

    static func strings(_ value: JSONValue?, _ path: String) throws(Failure) -> [String] {
        var result: [String] = []
        for (index, element) in try array(value, path).enumerated() {
            result.append(try string(element, "\(path)[\(index)]"))
        }
        return result
    }

    static func package(_ value: JSONValue, _ path: String) throws(Failure) -> EnvironmentLock.CondaPackage {
        let fields = try members(value, path, ["build", "channel", "name", "version"])
        return .init(
            name: try string(fields["name"], path + ".name"), version: try string(fields["version"], path + ".version"),
            build: try string(fields["build"], path + ".build"),
            channel: try string(fields["channel"], path + ".channel"))
    }

    static func packages(_ value: JSONValue?, _ path: String) throws(Failure) -> [EnvironmentLock.CondaPackage] {
        var result: [EnvironmentLock.CondaPackage] = []
        for (index, element) in try array(value, path).enumerated() {
            result.append(try package(element, "\(path)[\(index)]"))
        }
        return result
    }

    static func lock(_ value: JSONValue) throws(Failure) -> EnvironmentLock {
        let top = try members(value, "lock", ["conda", "distributions", "platform", "python", "schema", "torch"])
        let schema = try string(top["schema"], "schema")
        guard schema == EnvironmentLock.schema else {
            throw .malformedLock("schema '\(schema)' is not \(EnvironmentLock.schema): made by a newer modelseal?")
        }
        let python = try members(top["python"] ?? .null, "python", ["implementation", "version"])
        let platform = try members(top["platform"] ?? .null, "platform", ["machine", "system"])
        var distributions: [EnvironmentLock.Distribution] = []
        for (index, element) in try array(top["distributions"], "distributions").enumerated() {
            let path = "distributions[\(index)]"
            let fields = try members(element, path, ["name", "version"])
            let name = try string(fields["name"], path + ".name")
            guard DistributionName.isNormalized(name) else {
                throw .malformedLock(
                    "\(path).name '\(name)' is not a normalized name (PEP 503: lowercase, '-' separators)")
            }
            if let previous = distributions.last, previous.name >= name {
                throw .malformedLock(
                    "distributions must be sorted by name without duplicates ('\(previous.name)' before '\(name)')")
            }
            distributions.append(.init(name: name, version: try string(fields["version"], path + ".version")))
        }
        var torch: EnvironmentLock.TorchBuild? = nil
        if let value = top["torch"], value != .null {
            let fields = try members(value, "torch", ["cuda", "cudnn", "git_version", "hip", "version"])
            torch = .init(
                version: try string(fields["version"], "torch.version"),
                cuda: try optionalString(fields["cuda"], "torch.cuda"),
                cudnn: try optionalString(fields["cudnn"], "torch.cudnn"),
                gitVersion: try optionalString(fields["git_version"], "torch.git_version"),
                hip: try optionalString(fields["hip"], "torch.hip"))
        }
        var conda: EnvironmentLock.Conda? = nil
        if let value = top["conda"], value != .null {
            let fields = try members(value, "conda", ["packages", "spec", "subdir"])
            var spec: EnvironmentLock.CondaSpec? = nil
            if let specValue = fields["spec"], specValue != .null {
                let s = try members(
                    specValue, "conda.spec",
                    ["channels", "dependencies", "name", "packages", "pip", "source", "subdir"])
                let source = try string(s["source"], "conda.spec.source")
                guard source == "environment.yml" || source == "explicit" else {
                    throw .malformedLock("conda.spec.source must be 'environment.yml' or 'explicit'")
                }
                spec = .init(
                    source: source, name: try optionalString(s["name"], "conda.spec.name"),
                    channels: try strings(s["channels"], "conda.spec.channels"),
                    dependencies: try strings(s["dependencies"], "conda.spec.dependencies"),
                    pip: try strings(s["pip"], "conda.spec.pip"),
                    packages: try packages(s["packages"], "conda.spec.packages"),
                    subdir: try optionalString(s["subdir"], "conda.spec.subdir"))
            }
            let records = try packages(fields["packages"], "conda.packages")
            for index in records.indices.dropFirst() where records[index - 1].name >= records[index].name {
                throw .malformedLock(
                    "conda.packages must be sorted by name without duplicates ('\(records[index].name)')")
            }
            conda = .init(subdir: try optionalString(fields["subdir"], "conda.subdir"), packages: records, spec: spec)
        }
        return EnvironmentLock(
            python: .init(
                implementation: try string(python["implementation"], "python.implementation"),
                version: try string(python["version"], "python.version")),
            platform: .init(
                system: try string(platform["system"], "platform.system"),
                machine: try string(platform["machine"], "platform.machine")),
            distributions: distributions, torch: torch, conda: conda)
    }
}
