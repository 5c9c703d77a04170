import ModelSealCore
import ModelSealKeys
import ModelSealSigning

#if canImport(Glibc)
    import Glibc
#endif

/// The trust store: the public keys a user trusts by default when no `--trust` is given
/// (docs/SIGNING.md "Trust store").
///
/// `$MODELSEAL_TRUST` (a key file or a folder of key files), else `~/.config/modelseal/trust/` when it
/// exists. A store that exists must be usable: an empty, unreadable or group/other-writable store (or
/// key file in it) is an error, never a silent "trust nothing". Only the CLI and the Python package look
/// for it; the C ABI never reads `HOME` (its callers pass trust keys explicitly).
public enum TrustStore {
    /// The environment variable naming the store.
    public static let variable = "MODELSEAL_TRUST"

    /// The store's path: `$MODELSEAL_TRUST` when set (it must then exist), else the default folder when it
    /// exists, else nil (no store).
    public static func location() throws -> String? {
        if let path = ProcessEnvironment.value(variable), !path.isEmpty {
            guard FileKind(path) != .missing else {
                throw StatusError(.signingKeyError, "trust store \(path) (from $\(variable)) does not exist")
            }
            return path
        }
        guard let home = ProcessEnvironment.value("HOME"), !home.isEmpty else { return nil }
        let path = home + "/.config/modelseal/trust"
        return FileKind(path) == .missing ? nil : path
    }

    /// Every public key in the store at `path` (a key file, or a folder whose non-hidden files are key files).
    public static func keys(at path: String) throws -> [VerifyingKey] {
        try requireNotWritableByOthers(path)
        var files = [path]
        if FileKind(path) == .directory {
            let names: [String]
            do {
                names = try Directory.entries(path)
            } catch {
                throw StatusError(.signingKeyError, "trust store \(path): \(error)")
            }
            files = names.filter { !$0.hasPrefix(".") }.map { path + "/" + $0 }
        }
        var keys: [VerifyingKey] = []
        for file in files {
            try requireNotWritableByOthers(file)
            keys += try SigningKeys.trustKeys(paths: [file])
        }
        guard !keys.isEmpty else {
            throw StatusError(
                .signingKeyError,
                "trust store \(path) holds no public key: add the vendor's .pub there, or remove the store")
        }
        return keys
    }

    /// Refuses a store (or a key file in it) that someone other than its owner can change.
    static func requireNotWritableByOthers(_ path: String) throws {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw StatusError(.signingKeyError, "trust store \(path): \(IOError.text(of: errno))")
        }
        if status.st_mode & 0o022 != 0 {
            throw StatusError(
                .signingKeyError,
                "trust store \(path) is writable by group or others (mode \(String(status.st_mode & 0o777, radix: 8))): "
                    + "anyone who can write it decides what is trusted; run chmod go-w on it")
        }
    }
}
