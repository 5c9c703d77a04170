import Crypto
import ModelSealCore
import ModelSealKit
import ModelSealPKCS11

/// Where the master key comes from (docs/SERVER.md §Keys): `--master-key-file` (a file, or a `pkcs11:` URI
/// naming an AES-256 key on a token), else `$MODELSEAL_SERVER_MASTER_KEY` (the base64 of 32 bytes, or a
/// `pkcs11:` URI), else a key file beside the SQLite database, made on first start with mode 0600. Each file
/// holds the base64 of 32 random bytes. A token key's module and PIN are resolved as for the CLI's
/// `--sign-key pkcs11:…` (`--pkcs11-module`, the URI's `module-path`, `$MODELSEAL_PKCS11_MODULE`;
/// `$MODELSEAL_PKCS11_PIN` or the URI's `pin-source`).
enum MasterKeySource {
    static func load(reference: String?, pkcs11Module: String?, defaultFile: String?) throws -> MasterKey {
        if let reference {
            if PKCS11URI.isURI(reference) { return try token(reference, pkcs11Module: pkcs11Module) }
            return .file(try parse(try read(reference), what: reference))
        }
        if let text = ProcessEnvironment.value(ServerKeys.masterKeyVariable), !text.isEmpty {
            let words = text.split(whereSeparator: \.isWhitespace).map(String.init)
            if words.count == 1, PKCS11URI.isURI(words[0]) { return try token(words[0], pkcs11Module: pkcs11Module) }
            return .file(try parse(text, what: "$" + ServerKeys.masterKeyVariable))
        }
        guard let defaultFile else {
            throw StoreError.database(
                "no master key: give --master-key-file FILE or pkcs11:URI, or set \(ServerKeys.masterKeyVariable) "
                    + "(base64 of 32 random bytes, e.g. from `head -c 32 /dev/urandom | base64`)")
        }
        return .file(try readOrCreate(defaultFile))
    }

    /// The new key of a rotation: the token key `reference` names, else the key in that file (made when missing).
    static func rotationTarget(_ reference: String, pkcs11Module: String?) throws -> MasterKey {
        if PKCS11URI.isURI(reference) { return try token(reference, pkcs11Module: pkcs11Module) }
        return .file(try readOrCreate(reference))
    }

    /// The AES-256 key on a token that `reference` names, logged in with the PIN from the environment.
    static func token(_ reference: String, pkcs11Module: String?) throws -> MasterKey {
        do {
            let uri = try PKCS11URI(parsing: reference)
            let key = try PKCS11SecretKey(
                uri: uri, modulePath: try SigningKeySource.modulePath(pkcs11Module, uri: uri),
                pin: { try pin(for: uri) })
            return .token(key)
        } catch {
            throw StoreError.database("master key \(reference): \(error)")
        }
    }

    /// The PIN from `$MODELSEAL_PKCS11_PIN` or the URI's `pin-source`, as for the CLI; the server has neither
    /// `--pin-env` nor a terminal, so its message names only those two.
    private static func pin(for uri: PKCS11URI) throws -> [UInt8] {
        let variable = ProcessEnvironment.value(SigningKeySource.pinVariable) ?? ""
        guard !variable.isEmpty || uri.pinSource != nil else {
            throw PKCS11Error.loginFailed(
                "token '\(uri.token ?? uri.description)' needs a PIN: set \(SigningKeySource.pinVariable) for "
                    + "modelseal-server, or add pin-source=file:PATH to the URI")
        }
        return try SigningKeySource.pin(for: uri, environment: nil, prompt: false)
    }

    /// The key in `path`, made there (mode 0600) when the file does not exist.
    static func readOrCreate(_ defaultFile: String) throws -> SymmetricKey {
        if let text = try? read(defaultFile) { return try parse(text, what: defaultFile) }
        let key = Identifier.random(32)
        do {
            let output = try OutputFile(.path(defaultFile), mode: 0o600, replace: false)
            try output.write(Array((Base64.encode(key) + "\n").utf8))
            try output.commit()
        } catch {
            // Another server process made it first: use theirs.
            if let text = try? read(defaultFile) { return try parse(text, what: defaultFile) }
            throw StoreError.database("cannot write the master key file \(defaultFile): \(error)")
        }
        return SymmetricKey(data: key)
    }

    static func read(_ path: String) throws -> String {
        do {
            return String(decoding: try SmallFile.read(path, limit: 4096), as: UTF8.self)
        } catch {
            throw StoreError.database("cannot read the master key file \(path): \(error)")
        }
    }

    static func parse(_ text: String, what: String) throws -> SymmetricKey {
        guard let trimmed = text.split(whereSeparator: \.isWhitespace).first,
            text.split(whereSeparator: \.isWhitespace).count == 1,
            let bytes = Base64.decode(trimmed), bytes.count == 32
        else {
            throw StoreError.database("\(what) is not the base64 of a 32-byte master key")
        }
        return SymmetricKey(data: bytes)
    }
}
