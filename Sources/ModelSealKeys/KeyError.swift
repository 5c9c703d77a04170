/// Why a key, identity, recipient or key source cannot be used.
public enum KeyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The environment variable is not set or empty.
    case environmentVariableUnset(String)
    /// A key file cannot be read.
    case unreadableFile(path: String, reason: String)
    /// A key or identity file is over the size cap.
    case fileTooLarge(path: String, limit: Int)
    /// Raw key text is not 32 bytes of base64url.
    case malformedRawKey(String)
    /// A recipient string is not a valid `modelseal1…` Bech32 string.
    case malformedRecipient(String)
    /// An identity line is not a valid `MODELSEAL-SECRET-KEY-1…` string.
    case malformedIdentity(line: Int, reason: String)
    /// An identity or recipients file holds no entry.
    case emptyKeyFile(String)
    /// More entries than the cap.
    case tooManyEntries(path: String, limit: Int)

    public var description: String {
        switch self {
        case .environmentVariableUnset(let name):
            "environment variable \(name) is not set or empty: export it (for example `export \(name)=$(modelseal keygen --symmetric)`)"
        case .unreadableFile(let path, let reason):
            "cannot read key file \(path): \(reason)"
        case .fileTooLarge(let path, let limit):
            "\(path) is larger than \(limit) bytes: not a key file"
        case .malformedRawKey(let reason):
            "not a raw key: \(reason). A raw key is 32 bytes as base64url (43 characters, or 44 ending in '='), "
                + "as printed by `modelseal keygen --symmetric` or Fernet.generate_key()"
        case .malformedRecipient(let reason):
            "not a recipient: \(reason). Recipients look like modelseal1… (from `modelseal keygen`)"
        case .malformedIdentity(let line, let reason):
            "identity file line \(line): \(reason). Identities look like MODELSEAL-SECRET-KEY-1…"
        case .emptyKeyFile(let path):
            "\(path) holds no key (only comments or blank lines)"
        case .tooManyEntries(let path, let limit):
            "\(path) has more than \(limit) entries"
        }
    }
}
