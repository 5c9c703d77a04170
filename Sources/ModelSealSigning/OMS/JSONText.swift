import FoundationEssentials

/// Writing JSON by hand (so the bytes are ours and deterministic) and reading it with `JSONDecoder` under
/// ModelSeal's error messages.
enum JSONText {
    /// A JSON string literal: `"`, `\` and control characters escaped, everything else as UTF-8.
    static func string(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// An object from already-encoded members, in the given order.
    static func object(_ members: [(String, String)]) -> String {
        "{" + members.map { string($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    /// An array of already-encoded values.
    static func array(_ values: [String]) -> String { "[" + values.joined(separator: ",") + "]" }

    /// Decodes `bytes` as `T`, turning every decoding failure into `malformedSignature` naming `what` and the path.
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], what: String) throws(SigningError) -> T {
        try JSONDuplicateKeys.check(bytes, what: what)
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw .malformedSignature("\(what): \(describe(error))")
        } catch {
            throw .malformedSignature("\(what): not JSON (\(error))")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.isEmpty
                ? "the top level"
                : "'"
                    + keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
                    .joined(separator: ".") + "'"
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context.codingPath + [key])) is missing"
        case .typeMismatch(let type, let context): return "\(path(context.codingPath)) is not a \(name(of: type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)) is null, expected a \(name(of: type))"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? "not valid JSON (truncated or corrupted file?)"
                : "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    private static func name(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "string"
        case is Bool.Type: "boolean"
        case is Double.Type, is Int.Type: "number"
        case is [Any].Type: "list"
        default: "\(type)".contains("Array") ? "list" : "object"
        }
    }
}


extension Base64 {
    /// Decodes standard padded base64 exactly as protobuf's JSON writers produce it; `nil` for anything else
    /// (unpadded, URL alphabet, whitespace, non-zero trailing bits).
    static func decodeCanonical(_ text: String) -> [UInt8]? {
        guard text.utf8.count % 4 == 0, let bytes = decode(text), encode(bytes) == text else { return nil }
        return bytes
    }
}
