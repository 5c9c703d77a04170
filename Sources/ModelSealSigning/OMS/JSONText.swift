import FoundationEssentials
import ModelSealCore

/// Reading other tools' JSON documents (Sigstore bundles, in-toto statements) into `Decodable` types under
/// ModelSeal's error messages; written with `JSONWriter`.
enum JSONText {
    /// Decodes `bytes` as `T`, turning every decoding failure into `malformedSignature` naming `what` and the path.
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], what: String) throws(SigningError) -> T {
        // JSONDecoder keeps the first of two equal keys, Python's json the last: two verifiers would read two
        // different documents. The strict parser refuses duplicates (and deep nesting) first.
        do throws(JSONError) {
            _ = try JSONParser.parse(bytes)
        } catch {
            if error.reason.hasPrefix("duplicate member") {
                throw .malformedSignature("\(what): an object names a key twice (\(error))")
            }
            throw .malformedSignature("\(what): not valid JSON (truncated or corrupted file?): \(error)")
        }
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
