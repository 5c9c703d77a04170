import ContainerFormat
import ModelSealCore

/// Reads the members of one JSON object strictly: every member must be read, typed as expected,
/// and `finish()` refuses members nobody asked for (an unknown field in a signed document is an
/// error, never silently ignored).
struct JSONFields {
    private let members: [String: JSONValue]
    private var read: Set<String> = []
    let what: String

    init(_ value: JSONValue, what: String) throws(LicenseError) {
        guard case .object(let members) = value else { throw .malformed(what, "expected an object") }
        // The parser refused duplicate names, so the first of each is the only one.
        self.members = Dictionary(members.members, uniquingKeysWith: { first, _ in first })
        self.what = what
    }

    mutating func optional(_ key: String) -> JSONValue? {
        read.insert(key)
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    mutating func required(_ key: String) throws(LicenseError) -> JSONValue {
        guard let value = optional(key) else { throw .malformed(what, "missing field '\(key)'") }
        return value
    }

    mutating func string(_ key: String, maxLength: Int = 4096) throws(LicenseError) -> String {
        guard case .string(let text) = try required(key), text.utf8.count <= maxLength else {
            throw .malformed(what, "field '\(key)' must be a string of at most \(maxLength) bytes")
        }
        return text
    }

    mutating func integer(_ key: String, in range: ClosedRange<Int64> = 0...JSONValue.maximumInteger)
        throws(LicenseError) -> Int64
    {
        guard let value = try required(key).int64Value, range.contains(value) else {
            throw .malformed(what, "field '\(key)' must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    mutating func optionalInteger(_ key: String, in range: ClosedRange<Int64> = 0...JSONValue.maximumInteger)
        throws(LicenseError) -> Int64?
    {
        guard optional(key) != nil else { return nil }
        return try integer(key, in: range)
    }

    mutating func bool(_ key: String) throws(LicenseError) -> Bool {
        guard case .bool(let value) = try required(key) else {
            throw .malformed(what, "field '\(key)' must be true or false")
        }
        return value
    }

    mutating func array(_ key: String, count range: ClosedRange<Int>) throws(LicenseError) -> [JSONValue] {
        guard case .array(let values) = try required(key), range.contains(values.count) else {
            throw .malformed(
                what, "field '\(key)' must be an array of \(range.lowerBound)...\(range.upperBound) elements")
        }
        return values
    }

    mutating func object(_ key: String) throws(LicenseError) -> JSONFields {
        try JSONFields(try required(key), what: "\(what).\(key)")
    }

    /// Bytes stored as standard base64 with padding (canonical: re-encoding must give the same text).
    mutating func base64(_ key: String, length: Int? = nil) throws(LicenseError) -> [UInt8] {
        let text = try string(key, maxLength: 1 << 16)
        return try Codec.base64(text, length: length, what: "\(what).\(key)")
    }

    /// Bytes stored as lowercase hex.
    mutating func hex(_ key: String, length: Int) throws(LicenseError) -> [UInt8] {
        let text = try string(key, maxLength: 2 * length)
        guard let bytes = Hex.decode(text), bytes.count == length else {
            throw .malformed(what, "field '\(key)' must be \(2 * length) lowercase hex digits")
        }
        return bytes
    }

    func finish() throws(LicenseError) {
        let unknown = Set(members.keys).subtracting(read)
        guard unknown.isEmpty else {
            throw .malformed(
                what, "unknown field(s) \(unknown.sorted().joined(separator: ", ")): written by a newer modelseal?")
        }
    }
}

/// Byte ↔ text codecs used in licenses.
enum Codec {
    /// Standard base64 with padding.
    static func base64(_ bytes: [UInt8]) -> String { Base64.encode(bytes) }

    /// Strict standard base64 with padding (one text per byte string), of `length` bytes when given.
    static func base64(_ text: String, length: Int?, what: String) throws(LicenseError) -> [UInt8] {
        guard let bytes = Base64.decode(text) else { throw .malformed(what, "not canonical base64") }
        if let length, bytes.count != length { throw .malformed(what, "expected \(length) bytes, got \(bytes.count)") }
        return bytes
    }
}
