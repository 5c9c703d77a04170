import ModelSealCrypto
import ModelSealKeys
import ModelSealKit

extension IdentityOptions {
    /// The raw keys of `--key-env` / `--key-file` as Fernet keys: the only keys a Fernet token opens with.
    func fernetKeys() throws -> [FernetKey] {
        var keys: [RawKey] = []
        for name in keyEnvironment { keys.append(try KeyFiles.rawKey(environment: name)) }
        for path in keyFiles { keys.append(try KeyFiles.rawKey(file: path)) }
        guard !keys.isEmpty else {
            throw CLIError(
                .keyError,
                "a Fernet file (the article's format) opens only with its Fernet key: give --key-env VAR or --key-file FILE "
                    + "(identities and passphrases belong to ModelSeal files)")
        }
        return try keys.map { try FernetKey(bytes: $0.bytes) }
    }

    /// The raw keys themselves, in the order `fernetKeys()` returns them.
    func rawKeys() throws -> [RawKey] {
        try keyEnvironment.map { try KeyFiles.rawKey(environment: $0) } + keyFiles.map { try KeyFiles.rawKey(file: $0) }
    }
}

#if canImport(Glibc)
    import Glibc
#endif

/// UTC ISO 8601 text of a Unix time (a Fernet token's timestamp).
func utcTimestamp(seconds: UInt64) -> String {
    var time = time_t(clamping: seconds)
    var parts = tm()
    guard gmtime_r(&time, &parts) != nil else { return "\(seconds) s after 1970" }
    func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
    return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):"
        + "\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
}
