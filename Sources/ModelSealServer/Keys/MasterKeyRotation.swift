import Crypto

/// Master-key rotation (docs/SERVER.md §Rotation): every secret the database holds under the master key
/// is opened with the current key and sealed under the new one in one store transaction, so a crash
/// leaves either all old or all new; afterwards the old key opens nothing.
extension KeyServer {
    /// Re-wraps every stored secret under the key in `newKeyFile` (made, mode 0600, when missing);
    /// returns how many secrets were re-wrapped. Run it with every server process on the database stopped:
    /// a running server keeps wrapping new versions under the key it started with.
    public func rotateMasterKey(newKeyFile: String) async throws -> Int {
        let newMaster = try MasterKeySource.readOrCreate(newKeyFile)
        let old = keys.master
        guard old != newMaster else {
            throw StoreError.database("\(newKeyFile) holds the current master key: give a new key file")
        }
        return try await store.rewrapSecrets(settings: ServerKeys.wrappedSettings, actor: "server", now: clock()) {
            label, wrapped in
            try ServerKeys.seal(try ServerKeys.open(wrapped, under: old, label: label), under: newMaster, label: label)
        }
    }
}
