import FoundationEssentials
import ModelSealCore

/// Writes `--json` reports on standard output: every command's JSON goes through `JSONWriter`.
///
/// Reports that are `Encodable` structs are encoded with sorted snake-case keys, then parsed and
/// written by `JSONWriter`, so Codable reports and the `JSONValue` reports of inspect and scan share
/// one layout (two-space indent, `"key": value`, RFC 8785 string escapes).
enum JSONOutput {
    /// Whether a JSON document was written to standard output by this process (one command per
    /// process): `reportingErrors(json:)` then adds no error object after it.
    nonisolated(unsafe) static var printed = false

    static func print<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        print(try JSONParser.parse(Array(try encoder.encode(value))))
    }

    static func print(_ value: JSONValue) {
        printed = true
        Terminal.writeOutput(JSONWriter.serialize(value, pretty: true) + "\n")
    }
}
