import Crypto
import ModelSealCore

/// Where the master key comes from (docs/SERVER.md §Keys): `--master-key-file`, else
/// `$MODELSEAL_SERVER_MASTER_KEY`, else a key file beside the SQLite database, made on first start with
/// mode 0600. Each holds the base64 of 32 random bytes. (A PKCS#11 token is not supported yet.)
enum MasterKeySource {
    static func load(file: String?, defaultFile: String?) throws -> SymmetricKey {
        if let file { return try parse(try read(file), what: file) }
        if let text = ProcessEnvironment.value(ServerKeys.masterKeyVariable), !text.isEmpty {
            return try parse(text, what: "$" + ServerKeys.masterKeyVariable)
        }
        guard let defaultFile else {
            throw StoreError.database(
                "no master key: give --master-key-file FILE or set \(ServerKeys.masterKeyVariable) "
                    + "(base64 of 32 random bytes, e.g. from `head -c 32 /dev/urandom | base64`)")
        }
        return try readOrCreate(defaultFile)
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
