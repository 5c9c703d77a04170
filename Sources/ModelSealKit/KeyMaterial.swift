import ContainerEngine
import ModelSealCore
import ModelSealKeys

#if canImport(Glibc)
    import Glibc
#endif

/// Turns key options into recipients (sealing) or identities (opening).
///
/// Shared by every command, so `--key-env` means the same key everywhere: a recipient when
/// sealing, an identity when opening.
public enum KeyMaterial {
    /// Recipients for sealing from the values of the key options; `passphrasePrompt` asks on the terminal.
    public static func recipients(
        keyEnvironment: [String], keyFiles: [String], passphrasePrompt: Bool, passphraseEnvironment: String?,
        recipients: [String], recipientFiles: [String], scryptLog2N: Int, licenseKeyFiles: [String] = []
    ) throws -> [Recipient] {
        var result: [Recipient] = []
        for name in keyEnvironment { result.append(try KeyFiles.rawKey(environment: name)) }
        for path in keyFiles { result.append(try KeyFiles.rawKey(file: path)) }
        if let text = try passphrase(prompt: passphrasePrompt, environment: passphraseEnvironment, confirm: true) {
            let parameters = try ScryptParameters.validated(log2N: scryptLog2N, r: 8, p: 1)
            result.append(try Passphrase(text, parameters: parameters))
        }
        for text in recipients { result.append(try KeyText.recipient(text)) }
        for path in recipientFiles { result += try KeyFiles.recipients(file: path) as [Recipient] }
        for path in licenseKeyFiles { result.append(try LicenseKey(bytes: try KeyFiles.rawKey(file: path).bytes)) }
        return result
    }

    /// Identities for opening from the values of the key options.
    /// `slowPassphrase` lets a passphrase open a file whose scrypt cost is over the openers' default cap
    /// (up to the format's cap, spec/CONTAINER.md §3).
    public static func identities(
        keyEnvironment: [String], keyFiles: [String], passphrasePrompt: Bool, passphraseEnvironment: String?,
        identityFiles: [String], slowPassphrase: Bool = false
    ) throws -> [Identity] {
        var result: [Identity] = []
        for name in keyEnvironment { result.append(try KeyFiles.rawKey(environment: name)) }
        for path in keyFiles { result.append(try KeyFiles.rawKey(file: path)) }
        for path in identityFiles { result += try KeyFiles.identities(file: path) as [Identity] }
        if let text = try passphrase(prompt: passphrasePrompt, environment: passphraseEnvironment, confirm: false) {
            let limit = slowPassphrase ? ScryptParameters.maximumWork : ScryptParameters.defaultOpeningWork
            result.append(try Passphrase(text, openingWorkLimit: limit))
        }
        return result
    }

    private static func passphrase(prompt: Bool, environment: String?, confirm: Bool) throws -> String? {
        if let environment {
            guard let value = ProcessEnvironment.value(environment), !value.isEmpty else {
                throw KeyError.environmentVariableUnset(environment)
            }
            return value
        }
        return prompt ? try PassphrasePrompt.read(prompt: "Passphrase: ", confirm: confirm) : nil
    }
}
