import FoundationEssentials

/// Encodes a report as JSON with sorted keys on standard output (`--json`).
enum JSONOutput {
    static func print<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let data = try encoder.encode(value)
        Terminal.writeOutput(String(decoding: data, as: UTF8.self) + "\n")
    }
}
