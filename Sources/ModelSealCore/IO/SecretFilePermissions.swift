import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a secret key file (identity, raw key, machine key) readable by group or others gets: a
/// warning, as ssh gives, or a refusal under `--strict`. License files and public keys are public by
/// design and never checked.
public enum SecretFilePermissions {
    /// What happens to an exposed secret file.
    public enum Policy: Sendable {
        /// Report it through the warning handler and go on (the default).
        case warn
        /// Refuse the file.
        case refuse
    }

    struct State: Sendable {
        var policy: Policy = .warn
        var warn: @Sendable (String) -> Void = { message in
            let line = Array("modelseal: warning: \(message)\n".utf8)
            _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        }
    }

    static let state = Mutex(State())

    /// Sets the process-wide policy (the CLI's `--strict`) and, optionally, where warnings go.
    public static func configure(policy: Policy, warn: (@Sendable (String) -> Void)? = nil) {
        state.withLock { state in
            state.policy = policy
            if let warn { state.warn = warn }
        }
    }

    /// Checks the secret file at `path` ("-" and non-files are not checked): a refusal reason under
    /// `.refuse`, else nil (after warning under `.warn`).
    public static func check(_ path: String, what: String) -> String? {
        var status = stat()
        guard path != "-", stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        let exposed = status.st_mode & 0o077
        guard exposed != 0 else { return nil }
        let message =
            "\(what) \(path) is accessible by group or others (mode \(String(status.st_mode & 0o777, radix: 8))): "
            + "anyone who can read it holds the key; run chmod 600 on it"
        let current = state.withLock { $0 }
        switch current.policy {
        case .warn:
            current.warn(message)
            return nil
        case .refuse:
            return message + " (refused under --strict)"
        }
    }
}
