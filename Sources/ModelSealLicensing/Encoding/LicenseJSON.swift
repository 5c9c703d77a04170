import ModelSealCore

/// Licenses, requests, machine key files and state files: canonical JSON (RFC 8785 for integer-only
/// documents) under tight caps, through the one parser and writer of ModelSealCore.
extension JSONValue {
    /// Caps on untrusted JSON (licenses, requests, machine key files, state files).
    public enum Limits {
        /// Largest document accepted.
        public static let maximumBytes = 1 << 20
        /// Deepest nesting of arrays and objects.
        public static let maximumDepth = 8
        /// Most elements in one array or members in one object.
        public static let maximumElements = 4096
    }

    /// The largest integer magnitude these documents carry (2^53 − 1, exact in every JSON reader).
    public static let maximumInteger = JSONWriter.maximumCanonicalInteger

    /// Parses `bytes`, accepting only the canonical encoding.
    ///
    /// - Throws: `LicenseError.malformed(what, reason)` naming `what` (e.g. "license").
    public static func parseCanonical(_ bytes: [UInt8], what: String) throws(LicenseError) -> JSONValue {
        let options = JSONParser.Options(
            maximumBytes: Limits.maximumBytes, maximumDepth: Limits.maximumDepth,
            maximumElements: Limits.maximumElements, canonical: true)
        do throws(JSONError) {
            return try JSONParser.parse(bytes, options: options)
        } catch {
            let hint = error.reason.hasPrefix("not in canonical form") ? "; was it edited?" : ""
            throw .malformed(what, "\(error.reason) at offset \(error.offset)\(hint)")
        }
    }

    /// The canonical bytes that signatures and MACs cover.
    ///
    /// Every number in these documents is built with `integer(_:)` from a value that `JSONFields`
    /// or the issuer has range-checked against `maximumInteger`, so the writer never refuses; if it
    /// ever did, the empty result would fail every later parse rather than stand for another document.
    public var canonicalBytes: [UInt8] { JSONWriter.canonical(self) ?? [] }
}
