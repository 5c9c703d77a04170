/// What the console's pages read (docs/CONSOLE.md).

/// A logged-in admin's session: the cookie's token is stored hashed, with the form token (CSRF).
public struct ConsoleSession: Sendable, Equatable {
    public let admin: String
    public let csrf: String
    public let expiresAt: Int64
}

/// One row of the per-day rollup: `kind` is `release` or `refused:CODE`.
public struct DailyCount: Sendable, Equatable {
    public let day: Int64
    public let kind: String
    public let count: Int64
}

/// A license with the names the pages show.
public struct LicenseListing: Sendable, Equatable {
    public let license: LicenseRecord
    public let customerName: String
    public let modelName: String
}

/// A machine with its last release and the expiry of the lease that release carried.
public struct MachineActivity: Sendable, Equatable {
    public let machine: MachineRecord
    public let lastSeenAt: Int64?
    public let leaseExpiresAt: Int64?
}

/// The audit chain's status from its last incremental verification.
public struct AuditVerification: Sendable, Equatable {
    /// Entries up to this sequence number verified, in order, from the first.
    public let verifiedThrough: Int64
    /// The last entry in the log.
    public let lastSequence: Int64
    /// The first entry that did not verify, if any.
    public let brokenAt: Int64?
    public let checkedAt: Int64
}

/// A filter and a keyset position for the audit page (newest first).
public struct AuditQuery: Sendable, Equatable {
    public var before: Int64?
    public var actor: String?
    public var action: String?
    public var limit: Int
}
