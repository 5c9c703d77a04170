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
        if let reason = notAnIdentity(text) { throw .malformedIdentity(line: line, reason: reason) }
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

    /// What `text` is when it is a well-known other kind of key given where an identity is expected.
    static func notAnIdentity(_ text: String) -> String? {
        let lowered = text.lowercased()
        if lowered.hasPrefix(recipientPrefix + "1") {
            return "that is a recipient (modelseal1…), the public half of a key pair: give the identity file that "
                + "`modelseal keygen -o FILE` wrote (its secret half)"
        }
        if text.hasPrefix("-----BEGIN") || text.hasPrefix("ssh-") || text.hasPrefix("ecdsa-sha2-") {
            return "that is a signing key (PEM or OpenSSH, from `modelseal keygen --sign`): it signs with --sign-key "
                + "and verifies with --trust; it cannot decrypt. Give the identity file that `modelseal keygen -o FILE` "
                + "wrote"
        }
        return nil
    }
}
