import ContainerEngine

/// Text forms of X25519 recipients and identities (spec/CONTAINER.md §7).
public enum KeyText {
    static let recipientPrefix = "modelseal"
    static let identityPrefix = "modelseal-secret-key-"

    /// `modelseal1…`
    public static func encode(_ recipient: X25519Recipient) -> String {
        Bech32.encode(hrp: recipientPrefix, data: recipient.rawRepresentation)
    }

    /// `MODELSEAL-SECRET-KEY-1…`
    public static func encode(_ identity: X25519Identity) -> String {
        Bech32.encode(hrp: identityPrefix, data: identity.rawRepresentation).uppercased()
    }

    /// Parses a recipient string.
    public static func recipient(_ text: String) throws(KeyError) -> X25519Recipient {
        let decoded: (hrp: String, data: [UInt8])
        switch Bech32.decode(text) {
        case .success(let value): decoded = value
        case .failure(let failure): throw .malformedRecipient("'\(text.prefix(20))…' \(failure)")
        }
        guard decoded.hrp == recipientPrefix else {
            throw .malformedRecipient(
                decoded.hrp == identityPrefix
                    ? "that is a secret identity, not a recipient: never share it; give its recipient (`modelseal keygen -y FILE`)"
                    : "prefix '\(decoded.hrp)' is not '\(recipientPrefix)'")
        }
        do {
            return try X25519Recipient(rawRepresentation: decoded.data)
        } catch {
            throw .malformedRecipient("\(decoded.data.count) bytes, expected 32")
        }
    }

    /// Parses one identity string; `line` is for messages.
    public static func identity(_ text: String, line: Int = 1) throws(KeyError) -> X25519Identity {
        let decoded: (hrp: String, data: [UInt8])
        switch Bech32.decode(text) {
        case .success(let value): decoded = value
        case .failure(let failure): throw .malformedIdentity(line: line, reason: "\(failure)")
        }
        guard decoded.hrp == identityPrefix else {
            throw .malformedIdentity(
                line: line, reason: "prefix '\(decoded.hrp)' is not '\(identityPrefix.uppercased())'")
        }
        do {
            return try X25519Identity(rawRepresentation: decoded.data)
        } catch {
            throw .malformedIdentity(line: line, reason: "\(decoded.data.count) bytes, expected 32")
        }
    }
}
