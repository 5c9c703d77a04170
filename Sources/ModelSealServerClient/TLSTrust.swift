/// How the client checks an `https://` key server's TLS key (docs/SERVER.md §TLS). After activation
/// every connection is `.pinned` to the key learned then (`tls_spki_sha256` in activation.json),
/// whatever CA signed the certificate.
public enum TLSTrust: Sendable, Equatable {
    /// Accept the key the server presents and report it (activation without a pin: trust on first use).
    case firstUse
    /// Only this key: lowercase hex SHA-256 of the certificate's DER SubjectPublicKeyInfo.
    case pinned(String)
    /// A chain to the CA certificates in this PEM file, naming the URL's host; the key is reported.
    case certificateAuthorities(String)

    /// `sha256:HEX` as the vendor gives it (`modelseal-server` prints it on start).
    public static func pin(_ text: String) throws(ServerClientError) -> TLSTrust {
        let hex = (text.hasPrefix("sha256:") ? String(text.dropFirst("sha256:".count)) : text).lowercased()
        guard hex.count == 64, hex.allSatisfy({ $0.isHexDigit }) else {
            throw .usage("--server-pin \(text) is not sha256:HEX (64 hex digits, as modelseal-server prints it)")
        }
        return .pinned(hex)
    }

    /// The trust the options ask for: a pin, a CA file, else trust on first use.
    public static func choose(pin: String?, caFile: String?) throws(ServerClientError) -> TLSTrust {
        switch (pin, caFile) {
        case (let pin?, nil): try .pin(pin)
        case (nil, let caFile?): .certificateAuthorities(caFile)
        case (nil, nil): .firstUse
        default: throw .usage("give --server-pin or --ca-file, not both")
        }
    }
}
