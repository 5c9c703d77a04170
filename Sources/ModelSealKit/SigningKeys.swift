import ModelSealCore
import ModelSealKeys
import ModelSealSigning

/// Loading signing keys (`--sign-key`) and trust keys (`--trust`) from files.
public enum SigningKeys {
    /// The private key in `path`; an encrypted one is unlocked with the passphrase in `$passphraseEnvironment`.
    public static func signingKey(path: String, passphraseEnvironment: String? = nil) throws -> SigningKey {
        let text = String(decoding: try KeyFiles.read(path), as: UTF8.self)
        var passphrase: String? = nil
        if let passphraseEnvironment {
            guard let value = ProcessEnvironment.value(passphraseEnvironment), !value.isEmpty else {
                throw KeyError.environmentVariableUnset(passphraseEnvironment)
            }
            passphrase = value
        }
        do {
            return try KeyFile.signingKey(pem: text, passphrase: passphrase)
        } catch {
            // Ask on the terminal, as ssh does, when the key is encrypted and a terminal is there.
            guard case .passphraseRequired = error, passphrase == nil,
                let typed = try? PassphrasePrompt.read(prompt: "Passphrase for \(path): ", confirm: false)
            else { throw error }
            return try KeyFile.signingKey(pem: text, passphrase: typed)
        }
    }

    /// Every public key in every file of `paths`.
    public static func trustKeys(paths: [String]) throws -> [VerifyingKey] {
        var keys: [VerifyingKey] = []
        for path in paths {
            do {
                keys += try KeyFile.verifyingKeys(text: String(decoding: try KeyFiles.read(path), as: UTF8.self))
            } catch let error as SigningError {
                throw StatusError(.signingKeyError, "trust key \(path): \(error)")
            }
        }
        return keys
    }
}
