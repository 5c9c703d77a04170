import Crypto

/// Master-key rotation (docs/SERVER.md §Rotation): every secret the database holds under the master key
/// is opened with the current key and sealed under the new one in one store transaction, so a crash
/// leaves either all old or all new; afterwards the old key opens nothing. Either key may be a file or a
/// token key, so the same command moves a database onto a token, off it, or to another token key.
extension KeyServer {
    /// Re-wraps every stored secret under `newKey`: a key file (made, mode 0600, when missing) or a
    /// `pkcs11:` URI naming an AES-256 key on a token; returns how many secrets were re-wrapped. Run it with
    /// every server process on the database stopped: a running server keeps wrapping new versions under the
    /// key it started with.
    public func rotateMasterKey(newKey: String, pkcs11Module: String? = nil) async throws -> Int {
        let newMaster = try MasterKeySource.rotationTarget(newKey, pkcs11Module: pkcs11Module)
        let old = keys.master
        guard !old.isSameKey(as: newMaster) else {
            throw StoreError.database("\(newKey) is the current master key: give a new key")
        }
        return try await store.rewrapSecrets(settings: ServerKeys.wrappedSettings, actor: "server", now: clock()) {
            label, wrapped in
            try newMaster.wrap(try old.unwrap(wrapped, label: label), label: label)
        }
    }
}
