/// One recipient stanza: the file key wrapped for one recipient (spec/CONTAINER.md §3).
///
/// Byte layout: `type(1) || body_length(2, big-endian) || body`.
public struct Stanza: Sendable, Equatable {
    /// Stanza type; unknown types are kept and skipped, never rejected.
    public var type: StanzaType
    /// The type-specific body.
    public var body: [UInt8]

    /// A stanza of the given type and body.
    public init(type: StanzaType, body: [UInt8]) {
        self.type = type
        self.body = body
    }
}

/// The stanza type byte.
public struct StanzaType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The byte in the file.
    public var rawValue: UInt8
    /// Wraps a type byte.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// A 32-byte raw key through HKDF with a random salt.
    public static let rawKey = StanzaType(rawValue: 0x01)
    /// A passphrase through scrypt.
    public static let scrypt = StanzaType(rawValue: 0x02)
    /// An X25519 public key through HPKE.
    public static let x25519HPKE = StanzaType(rawValue: 0x03)
    /// A license key-encryption key through HKDF with a random salt (spec/CONTAINER.md §3, spec/LICENSING.md).
    public static let license = StanzaType(rawValue: 0x04)

    /// Exact body length of known types; `nil` for unknown ones.
    public var expectedBodyLength: Int? {
        switch self {
        case .rawKey: 80
        case .scrypt: 83
        case .x25519HPKE: 80
        case .license: 80
        default: nil
        }
    }

    /// The name shown by `inspect`.
    public var description: String {
        switch self {
        case .rawKey: "raw-key"
        case .scrypt: "scrypt"
        case .x25519HPKE: "x25519-hpke"
        case .license: "license"
        default: "unknown-0x" + String(rawValue, radix: 16)
        }
    }
}
