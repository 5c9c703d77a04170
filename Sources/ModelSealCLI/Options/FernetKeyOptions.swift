import ArgumentParser
import ArticleCompat
import ContainerEngine
import ModelSealKeys
import ModelSealKit

#if canImport(Glibc)
    import Glibc
#endif

/// The key of a Fernet file (the article's format): raw keys only, `--key-env` / `--key-file` as everywhere.
struct FernetKeyOptions: ParsableArguments {
    @Option(
        name: .customLong("key-env"),
        help: ArgumentHelp(
            "The Fernet key in environment variable VAR (Fernet.generate_key() output, often kept in MODEL_KEY). Repeatable: all are tried.",
            valueName: "VAR"))
    var keyEnvironment: [String] = []

    @Option(
        name: .customLong("key-file"),
        help: ArgumentHelp("The Fernet key in FILE (its text, or 32 binary bytes). Repeatable.", valueName: "FILE"))
    var keyFiles: [String] = []

    var isEmpty: Bool { keyEnvironment.isEmpty && keyFiles.isEmpty }

    /// The raw keys in option order.
    func rawKeys() throws -> [RawKey] {
        try FernetKeys.rawKeys(environment: keyEnvironment, files: keyFiles)
    }
}

/// Raw keys used as Fernet keys: the only keys a Fernet token opens with.
enum FernetKeys {
    /// The raw keys of `--key-env` / `--key-file`, in that order; a key error when there is none.
    static func rawKeys(environment: [String], files: [String]) throws -> [RawKey] {
        let keys =
            try environment.map { try KeyFiles.rawKey(environment: $0) } + files.map { try KeyFiles.rawKey(file: $0) }
        guard !keys.isEmpty else {
            throw CLIError(
                .keyError,
                "a Fernet file (the article's format) opens only with its Fernet key: give --key-env VAR or --key-file FILE "
                    + "(identities and passphrases belong to ModelSeal files)")
        }
        return keys
    }

    /// The same keys split as Fernet uses them.
    static func fernetKeys(_ keys: [RawKey]) throws -> [FernetKey] {
        try keys.map { try FernetKey(bytes: $0.bytes) }
    }
}

extension IdentityOptions {
    /// `open`'s raw keys as Fernet keys (its other key options cannot open a Fernet file).
    func fernetKeys() throws -> [FernetKey] {
        try FernetKeys.fernetKeys(try FernetKeys.rawKeys(environment: keyEnvironment, files: keyFiles))
    }
}

/// UTC ISO 8601 text of a Unix time (a Fernet token's timestamp).
func utcTimestamp(seconds: UInt64) -> String {
    var time = time_t(clamping: seconds)
    var parts = tm()
    guard gmtime_r(&time, &parts) != nil else { return "\(seconds) s after 1970" }
    func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
    return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):"
        + "\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
}
