import ModelSealCore

/// The local registry of issued marks (spec/MARK.md §7): a JSON file the vendor keeps next to the secret.
///
/// ```
/// {"schema": 1, "kind": "modelseal-mark-registry",
///  "marks": [{"customer": str, "model_id": str, "tier": "B", "alpha": num, "min_elements": int,
///             "format": str, "marked_tensors": int, "marked_weights": int, "self_check_z": num}, ...]}
/// ```
public struct MarkRegistry: Sendable {
    /// One issued mark.
    public struct Entry: Sendable, Equatable {
        public var customer: String
        public var modelID: String
        public var tier: String
        public var alpha: Double
        public var minElements: Int
        public var format: String
        public var markedTensors: Int
        public var markedWeights: Int
        public var selfCheckZ: Double

        public init(
            customer: String, modelID: String, tier: String = "B", alpha: Double, minElements: Int, format: String,
            markedTensors: Int, markedWeights: Int, selfCheckZ: Double
        ) {
            self.customer = customer
            self.modelID = modelID
            self.tier = tier
            self.alpha = alpha
            self.minElements = minElements
            self.format = format
            self.markedTensors = markedTensors
            self.markedWeights = markedWeights
            self.selfCheckZ = selfCheckZ
        }
    }

    public static let kind = "modelseal-mark-registry"
    /// Largest registry file read.
    public static let maxBytes = 64 << 20

    public var entries: [Entry] = []

    public init(entries: [Entry] = []) { self.entries = entries }

    /// The customers issued a mark for `modelID`, in issue order, once each.
    public func customers(modelID: String) -> [String] {
        var seen: Set<String> = []
        return entries.filter { $0.modelID == modelID && seen.insert($0.customer).inserted }.map(\.customer)
    }

    /// Parses a registry file's bytes.
    public static func parse(_ bytes: [UInt8]) throws(MarkError) -> MarkRegistry {
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch {
            throw .malformedInput(what: "mark registry", reason: "not JSON (\(error))")
        }
        guard value["schema"]?.intValue == 1, value["kind"]?.stringValue == kind,
            let marks = value["marks"]?.arrayValue
        else {
            throw .malformedInput(
                what: "mark registry", reason: "expected {\"schema\": 1, \"kind\": \"\(kind)\", \"marks\": [...]}")
        }
        var registry = MarkRegistry()
        for (index, mark) in marks.enumerated() {
            guard let customer = mark["customer"]?.stringValue, let model = mark["model_id"]?.stringValue,
                let tier = mark["tier"]?.stringValue, let alpha = number(mark["alpha"]),
                let minElements = mark["min_elements"]?.intValue
            else {
                throw .malformedInput(
                    what: "mark registry",
                    reason: "entry \(index) lacks customer, model_id, tier, alpha or min_elements")
            }
            registry.entries.append(
                Entry(
                    customer: customer, modelID: model, tier: tier, alpha: alpha, minElements: minElements,
                    format: mark["format"]?.stringValue ?? "", markedTensors: mark["marked_tensors"]?.intValue ?? 0,
                    markedWeights: mark["marked_weights"]?.intValue ?? 0,
                    selfCheckZ: number(mark["self_check_z"]) ?? 0))
        }
        return registry
    }

    /// A JSON number as a `Double` (`nil` for anything else).
    public static func number(_ value: JSONValue?) -> Double? {
        if case let .number(text)? = value { return Double(text) }
        return nil
    }

    /// The registry as pretty JSON.
    public func serialized() -> [UInt8] {
        let marks: [JSONValue] = entries.map { entry in
            .object([
                ("customer", .string(entry.customer)), ("model_id", .string(entry.modelID)),
                ("tier", .string(entry.tier)), ("alpha", .number(String(entry.alpha))),
                ("min_elements", .integer(entry.minElements)), ("format", .string(entry.format)),
                ("marked_tensors", .integer(entry.markedTensors)), ("marked_weights", .integer(entry.markedWeights)),
                ("self_check_z", .number(String(entry.selfCheckZ.isFinite ? entry.selfCheckZ : 0))),
            ])
        }
        let root: JSONValue = .object([
            ("schema", .integer(1)), ("kind", .string(MarkRegistry.kind)), ("marks", .array(marks)),
        ])
        return Array((JSONWriter.serialize(root, pretty: true) + "\n").utf8)
    }

    /// Reads `path` (an empty registry when it does not exist).
    public static func load(path: String) throws -> MarkRegistry {
        guard FileKind(path) != .missing else { return MarkRegistry() }
        return try parse(SmallFile.read(path, limit: maxBytes))
    }

    /// Appends `entry` to the registry at `path`, replacing the file atomically, under an exclusive lock on
    /// `path + ".lock"`: marks recorded at the same time by several processes are all kept.
    public static func record(_ entry: Entry, path: String) throws {
        let lock = try FileLock(path: path + ".lock")
        defer { withExtendedLifetime(lock) {} }
        var registry = try load(path: path)
        registry.entries.append(entry)
        let output = try OutputFile(.path(path), mode: 0o600, replace: true)
        try output.write(registry.serialized())
        try output.commit()
    }
}
