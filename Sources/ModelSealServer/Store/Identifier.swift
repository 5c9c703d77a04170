import Crypto
import ModelSealCore

/// Row identifiers and secret tokens (docs/SERVER.md §Schema).
public enum Identifier {
    /// A new random identifier with a readable prefix (`lic_…`): 12 random bytes in hex.
    public static func new(_ prefix: String) -> String { prefix + "_" + Hex.encode(random(12)) }

    /// A new secret token (`mst_…`): 32 random bytes, base64url.
    public static func newToken() -> String {
        "mst_" + Base64.encode(random(32), alphabet: .urlSafe, padded: false)
    }

    /// What the database keeps of a token: its SHA-256 in hex.
    public static func tokenHash(_ token: String) -> String { Hex.encode(SHA256.hash(data: Array(token.utf8))) }

    static func random(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}
