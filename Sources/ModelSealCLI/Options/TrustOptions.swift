import ArgumentParser
import ModelSealKit
import ModelSealSigning

/// Signature checks for opening and verifying: `--trust`, else the trust store, unless `--allow-unsigned`.
struct TrustOptions: ParsableArguments {
    @Option(
        name: .customLong("trust"),
        help: ArgumentHelp(
            "Require a valid signature by a key in FILE (PEM public keys and/or OpenSSH lines). Repeatable. "
                + "Without it, the trust store ($MODELSEAL_TRUST or ~/.config/modelseal/trust/) is used.",
            valueName: "FILE"))
    var trustFiles: [String] = []

    @Flag(
        name: .customLong("allow-unsigned"),
        help: ArgumentHelp(
            "Accept a file no trusted key signed (ignore the trust store): present signatures are still checked, "
                + "but a co-recipient who holds the file key could have made the file."))
    var allowUnsigned = false

    @Option(
        name: .customLong("signature"),
        help: ArgumentHelp(
            "A detached signature (from `modelseal sign --signature`) for a file without its own.", valueName: "FILE"))
    var signature: String?

    func validate() throws {
        if allowUnsigned && !trustFiles.isEmpty {
            throw ValidationError("--allow-unsigned ignores trust keys: drop it or drop --trust")
        }
    }

    /// What the user said to trust.
    enum Decision {
        /// Keys one of which must have signed (from `--trust` or the store).
        case keys([VerifyingKey])
        /// `--allow-unsigned`: no signer is required.
        case allowUnsigned
        /// No `--trust`, no store, no `--allow-unsigned`.
        case nothingConfigured
    }

    /// `--trust` keys, else the trust store's, else what `--allow-unsigned` or their absence says.
    static func decision(trustFiles: [String], allowUnsigned: Bool) throws -> Decision {
        if !trustFiles.isEmpty { return .keys(try SigningKeys.trustKeys(paths: trustFiles)) }
        if allowUnsigned { return .allowUnsigned }
        if let store = try TrustStore.location() { return .keys(try TrustStore.keys(at: store)) }
        return .nothingConfigured
    }

    /// The keys to require for `open`: none without `--trust` or a store (a key holder may open what it holds).
    func keysForOpening() throws -> [VerifyingKey] {
        if case .keys(let keys) = try Self.decision(trustFiles: trustFiles, allowUnsigned: allowUnsigned) {
            return keys
        }
        return []
    }

    /// The keys to require for `verify`: see `keysForVerifying(trustFiles:allowUnsigned:)`.
    func keysForVerifying() throws -> [VerifyingKey] {
        try Self.keysForVerifying(trustFiles: trustFiles, allowUnsigned: allowUnsigned)
    }

    /// The keys to require for `verify`/`unpack`: nothing configured is an error (exit 26), so
    /// `verify x && deploy` never passes a file signed by anyone at all.
    static func keysForVerifying(trustFiles: [String], allowUnsigned: Bool) throws -> [VerifyingKey] {
        switch try decision(trustFiles: trustFiles, allowUnsigned: allowUnsigned) {
        case .keys(let keys): return keys
        case .allowUnsigned: return []
        case .nothingConfigured:
            throw StatusError(
                .noTrust,
                "no trust: give --trust vendor.pub, or put the vendor's public key in a trust store "
                    + "($\(TrustStore.variable) or ~/.config/modelseal/trust/); --allow-unsigned checks only that "
                    + "present signatures are intact, not who made them")
        }
    }
}
