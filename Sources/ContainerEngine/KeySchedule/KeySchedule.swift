import ContainerFormat
import Crypto

/// Derives every key of a file from its file key (spec/CONTAINER.md §1).
///
/// The HKDF labels are the domain separation: each derived key serves exactly one purpose.
public struct KeySchedule: Sendable {
    /// The per-file random key that stanzas wrap.
    public let fileKey: SymmetricKey

    /// Wraps a 32-byte file key.
    public init(fileKey: SymmetricKey) { self.fileKey = fileKey }

    /// A fresh random file key.
    public static func random() -> KeySchedule { KeySchedule(fileKey: SymmetricKey(size: .bits256)) }

    /// Key of the header MAC.
    public var headerKey: SymmetricKey { derive(salt: [], label: "modelseal/v1 header") }

    /// Key of the payload chunks, unique per (file key, payload salt).
    public func payloadKey(salt: [UInt8]) -> SymmetricKey { derive(salt: salt, label: "modelseal/v1 payload") }

    /// Key of the sealed-metadata extension.
    public var metadataKey: SymmetricKey { derive(salt: [], label: "modelseal/v1 sealed-metadata") }

    /// HMAC-SHA256 of the header's authenticated bytes.
    public func headerMAC(_ authenticatedBytes: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: authenticatedBytes, using: headerKey))
    }

    /// Constant-time check of a header MAC.
    public func verifyHeaderMAC(_ mac: [UInt8], over authenticatedBytes: [UInt8]) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: authenticatedBytes, using: headerKey)
    }

    private func derive(salt: [UInt8], label: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: fileKey, salt: salt, info: Array(label.utf8), outputByteCount: 32)
    }
}
