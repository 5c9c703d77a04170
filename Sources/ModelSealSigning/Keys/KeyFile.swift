/// Reading signing keys from PEM files and writing them (spec/SIGNATURES.md §5).
///
/// Private keys: PKCS#8 `PRIVATE KEY`, passphrase-protected `ENCRYPTED PRIVATE KEY` (PBES2), and
/// the legacy `RSA PRIVATE KEY` / `EC PRIVATE KEY` forms other tools write. Public keys:
/// `PUBLIC KEY` (SubjectPublicKeyInfo), `RSA PUBLIC KEY` (PKCS#1), an OpenSSH `ssh-ed25519` /
/// `ecdsa-sha2-nistp*` / `ssh-rsa` line, or any private key (its public half).
public enum KeyFile {
    /// A signing key from PEM text; `passphrase` is needed for an encrypted key.
    public static func signingKey(pem text: String, passphrase: String? = nil) throws(SigningError) -> SigningKey {
        let (label, der) = try PEM.decode(text)
        switch label {
        case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
            return try SigningKey(pkcs8DER: der)
        case "ENCRYPTED PRIVATE KEY":
            guard let passphrase else {
                throw .passphraseRequired(
                    "the private key is encrypted: give its passphrase (--sign-key-passphrase-env VAR)")
            }
            return try SigningKey(pkcs8DER: EncryptedPrivateKey.decrypt(der, passphrase: passphrase))
        case "PUBLIC KEY":
            throw .unreadableKey("this is a public key: signing needs the private key (the file without .pub)")
        default:
            throw .unreadableKey("PEM block '\(label)' is not a private key")
        }
    }

    /// A verifying key from PEM or OpenSSH text.
    public static func verifyingKey(text: String) throws(SigningError) -> VerifyingKey {
        let trimmed = text.drop(while: { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" })
        if trimmed.hasPrefix("ssh-") || trimmed.hasPrefix("ecdsa-sha2-") {
            return try OpenSSHPublicKey.parse(String(trimmed))
        }
        let (label, der) = try PEM.decode(text)
        switch label {
        case "PUBLIC KEY":
            return try VerifyingKey(spkiDER: der)
        case "RSA PUBLIC KEY":
            return try VerifyingKey(spkiDER: der)
        case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
            return try SigningKey(pkcs8DER: der).verifyingKey
        case "ENCRYPTED PRIVATE KEY":
            throw .unreadableKey("an encrypted private key cannot serve as a trust key: give its .pub file")
        default:
            throw .unreadableKey("PEM block '\(label)' is not a public key")
        }
    }

    /// Every public key in a trust file: concatenated PEM blocks and/or OpenSSH lines; `#` comments.
    public static func verifyingKeys(text: String) throws(SigningError) -> [VerifyingKey] {
        var keys: [VerifyingKey] = []
        var block: [Substring] = []
        for line in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let trimmed = line.trimmingCharacters()
            if !block.isEmpty {
                block.append(line)
                if trimmed.hasPrefix("-----END ") {
                    keys.append(try verifyingKey(text: block.joined(separator: "\n")))
                    block = []
                }
            } else if trimmed.hasPrefix("-----BEGIN ") {
                block = [line]
            } else if trimmed.hasPrefix("ssh-") || trimmed.hasPrefix("ecdsa-sha2-") {
                keys.append(try OpenSSHPublicKey.parse(trimmed))
            } else if !trimmed.isEmpty && !trimmed.hasPrefix("#") {
                throw .unreadableKey(
                    "a trust file holds PEM public keys and OpenSSH lines; found '\(trimmed.prefix(30))'")
            }
        }
        guard block.isEmpty else { throw .unreadableKey("a PEM block has no END line") }
        guard !keys.isEmpty else { throw .unreadableKey("no public key found") }
        return keys
    }

    /// PKCS#8 PEM of a signing key, encrypted with `passphrase` when given.
    public static func pem(of key: SigningKey, passphrase: String? = nil) throws(SigningError) -> String {
        guard let der = key.pkcs8DER else {
            throw .unsuitableKey("the key lives outside this process (a token): it has no private key file")
        }
        guard let passphrase else { return PEM.encode(label: "PRIVATE KEY", der: der) }
        return PEM.encode(
            label: "ENCRYPTED PRIVATE KEY", der: try EncryptedPrivateKey.encrypt(der, passphrase: passphrase))
    }
}
