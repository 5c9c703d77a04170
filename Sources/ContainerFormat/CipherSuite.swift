/// The AEAD that seals payload chunks (header byte 9).
public enum CipherSuite: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// AES-256-GCM, the default: hardware-accelerated on every current x86-64 and ARM64 server.
    case aes256GCM = 0x01
    /// ChaCha20-Poly1305, for machines without AES instructions.
    case chaCha20Poly1305 = 0x02

    /// The name used on the command line and in `inspect`.
    public var description: String {
        switch self {
        case .aes256GCM: "aes-256-gcm"
        case .chaCha20Poly1305: "chacha20-poly1305"
        }
    }

    /// Parses a command-line name.
    public init?(name: String) {
        guard let suite = Self.allCases.first(where: { $0.description == name.lowercased() }) else { return nil }
        self = suite
    }
}
