import ContainerEngine
import ModelSealKeys
import ModelSealKit
import ModelSealPKCS11
import ModelSealSigning
import Synchronization

/// A `keyring`: identities to open with and recipients to seal to.
final class Keyring: Sendable {
    struct Keys {
        var identities: [Identity] = []
        var recipients: [Recipient] = []
        var trustedKeys: [VerifyingKey] = []
        var signingKey: SigningKey? = nil
        var licensePath: String? = nil
    }

    let keys = Mutex(Keys())

    func add(identity: Identity? = nil, recipient: Recipient? = nil) {
        keys.withLock {
            if let identity { $0.identities.append(identity) }
            if let recipient { $0.recipients.append(recipient) }
        }
    }

    var identities: [Identity] { keys.withLock { $0.identities } }
    var recipients: [Recipient] { keys.withLock { $0.recipients } }
    var trustedKeys: [VerifyingKey] { keys.withLock { $0.trustedKeys } }
    var signingKey: SigningKey? { keys.withLock { $0.signingKey } }
    var licensePath: String? { keys.withLock { $0.licensePath } }

    /// The opener every file opened with this keyring goes through: license, header, signatures, trust.
    func opener() throws -> ModelOpener {
        let state = keys.withLock { $0 }
        var opener = ModelOpener(identities: state.licensePath == nil ? state.identities : [])
        opener.trustedKeys = state.trustedKeys
        opener.license = try state.licensePath.map { try LicenseGate(path: $0, use: .memory) }
        guard !opener.identities.isEmpty || opener.license != nil else {
            throw StatusError(
                .keyError, "the keyring holds no key that opens files: add a raw key, identity, passphrase or license")
        }
        return opener
    }
}

/// Adds every public key in PEM/OpenSSH `text` as a trust key: opening then requires a signature by one of them.
@_cdecl("modelseal_keyring_add_trust_key")
public func keyringAddTrustKey(_ ring: OpaquePointer?, _ pointer: UnsafePointer<CChar>?, _ length: UInt) -> Int32 {
    boundary {
        let ring = try keyring(ring)
        let bytes = try Argument.bytes(pointer, length, "trust key text", limit: 1 << 20)
        let keys = try KeyFile.verifyingKeys(text: try text(bytes, "trust key text"))
        ring.keys.withLock { $0.trustedKeys += keys }
    }
}

/// Adds every public key in the file at `path` as a trust key.
@_cdecl("modelseal_keyring_add_trust_file")
public func keyringAddTrustFile(_ ring: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> Int32 {
    boundary {
        let ring = try keyring(ring)
        let keys = try SigningKeys.trustKeys(paths: [try Argument.string(path, "path")])
        ring.keys.withLock { $0.trustedKeys += keys }
    }
}

/// Adds every public key of the trust store at `path` (`TrustStore.keys(at:)`: refuses an empty,
/// unreadable or group/other-writable store). The library never looks for a store by itself.
@_cdecl("modelseal_keyring_add_trust_store")
public func keyringAddTrustStore(_ ring: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> Int32 {
    boundary {
        let ring = try keyring(ring)
        let keys = try TrustStore.keys(at: try Argument.string(path, "path"))
        ring.keys.withLock { $0.trustedKeys += keys }
    }
}

/// Sets the signing key used by `modelseal_seal_buffer`: a PEM file (`passphrase` may be NULL), or a `pkcs11:`
/// URI of a key on a token, resolved as the CLI's `--sign-key` (module from the URI's `module-path` or
/// `$MODELSEAL_PKCS11_MODULE`, PIN from `$MODELSEAL_PKCS11_PIN` or `pin-source`; never asked: a library has no
/// terminal). The token session stays open while the keyring holds the key.
@_cdecl("modelseal_keyring_set_signing_key_file")
public func keyringSetSigningKeyFile(
    _ ring: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ passphrase: UnsafePointer<CChar>?
) -> Int32 {
    boundary {
        let ring = try keyring(ring)
        let path = try Argument.string(path, "path")
        let key: SigningKey
        if PKCS11URI.isURI(path) {
            key = try SigningKeySource(reference: path).signingKey(prompt: false)
        } else {
            let text = String(decoding: try KeyFiles.read(path), as: UTF8.self)
            key = try KeyFile.signingKey(pem: text, passphrase: passphrase.map { String(cString: $0) })
        }
        ring.keys.withLock { $0.signingKey = key }
    }
}

/// Opens files with the machine-bound license at `path` instead of keys (a memory-only load).
@_cdecl("modelseal_keyring_set_license_file")
public func keyringSetLicenseFile(_ ring: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> Int32 {
    boundary {
        let ring = try keyring(ring)
        let path = try Argument.string(path, "path")
        ring.keys.withLock { $0.licensePath = path }
    }
}

func keyring(_ handle: OpaquePointer?) throws -> Keyring { try Handles.lookup(handle, as: Keyring.self, "keyring") }

/// Key text as a Swift string; text that is not UTF-8 is refused rather than repaired.
private func text(_ bytes: UnsafeRawBufferPointer, _ name: String) throws -> String {
    guard let text = String(validating: bytes, as: UTF8.self) else {
        throw StatusError(.keyError, "\(name) is not UTF-8")
    }
    return text
}

@_cdecl("modelseal_keyring_new")
public func keyringNew(_ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    boundary {
        let out = try Argument.output(out, "out")
        out.pointee = Handles.register(Keyring())
    }
}

@_cdecl("modelseal_keyring_free")
public func keyringFree(_ ring: OpaquePointer?) {
    Handles.remove(ring, as: Keyring.self)
}

@_cdecl("modelseal_keyring_add_raw_key")
public func keyringAddRawKey(_ ring: OpaquePointer?, _ pointer: UnsafePointer<CChar>?, _ length: UInt)
    -> Int32
{
    boundary {
        let ring = try keyring(ring)
        let bytes = try Argument.bytes(pointer, length, "key text", limit: Argument.maximumKeyTextLength)
        let key = try RawKeyText.decode(bytes)
        ring.add(identity: key, recipient: key)
    }
}

@_cdecl("modelseal_keyring_add_raw_key_env")
public func keyringAddRawKeyEnv(_ ring: OpaquePointer?, _ name: UnsafePointer<CChar>?) -> Int32 {
    boundary {
        let ring = try keyring(ring)
        let key = try KeyFiles.rawKey(environment: try Argument.string(name, "variable name"))
        ring.add(identity: key, recipient: key)
    }
}

@_cdecl("modelseal_keyring_add_key_file")
public func keyringAddKeyFile(_ ring: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> Int32 {
    boundary {
        let ring = try keyring(ring)
        let key = try KeyFiles.rawKey(file: try Argument.string(path, "path"))
        ring.add(identity: key, recipient: key)
    }
}

@_cdecl("modelseal_keyring_add_passphrase")
public func keyringAddPassphrase(
    _ ring: OpaquePointer?, _ pointer: UnsafePointer<CChar>?, _ length: UInt, _ log2N: Int32
) -> Int32 {
    boundary {
        let ring = try keyring(ring)
        let bytes = try Argument.bytes(pointer, length, "passphrase", limit: Argument.maximumPassphraseLength)
        let passphrase = try text(bytes, "the passphrase")
        let parameters =
            log2N == 0 ? ScryptParameters.default : try ScryptParameters.validated(log2N: Int(log2N), r: 8, p: 1)
        ring.add(identity: try Passphrase(passphrase), recipient: try Passphrase(passphrase, parameters: parameters))
    }
}

@_cdecl("modelseal_keyring_add_identity_file")
public func keyringAddIdentityFile(_ ring: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> Int32 {
    boundary {
        let ring = try keyring(ring)
        for identity in try KeyFiles.identities(file: try Argument.string(path, "path")) {
            ring.add(identity: identity)
        }
    }
}

@_cdecl("modelseal_keyring_add_identity")
public func keyringAddIdentity(_ ring: OpaquePointer?, _ pointer: UnsafePointer<CChar>?, _ length: UInt)
    -> Int32
{
    boundary {
        let ring = try keyring(ring)
        let bytes = try Argument.bytes(pointer, length, "identity", limit: Argument.maximumKeyTextLength)
        ring.add(identity: try KeyText.identity(try text(bytes, "the identity")))
    }
}

@_cdecl("modelseal_keyring_add_recipient")
public func keyringAddRecipient(_ ring: OpaquePointer?, _ pointer: UnsafePointer<CChar>?, _ length: UInt)
    -> Int32
{
    boundary {
        let ring = try keyring(ring)
        let bytes = try Argument.bytes(pointer, length, "recipient", limit: Argument.maximumKeyTextLength)
        ring.add(recipient: try KeyText.recipient(try text(bytes, "the recipient")))
    }
}

@_cdecl("modelseal_keyring_add_recipients_file")
public func keyringAddRecipientsFile(_ ring: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> Int32 {
    boundary {
        let ring = try keyring(ring)
        for recipient in try KeyFiles.recipients(file: try Argument.string(path, "path")) {
            ring.add(recipient: recipient)
        }
    }
}
