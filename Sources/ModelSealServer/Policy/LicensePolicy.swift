import ModelSealLicensing

/// What a license enforces beyond machines, loads and expiry (docs/SERVER.md §Policies): how seats are
/// held, per-UTC-day and per-UTC-month metering, the offline grace stated in each lease, and the cooldown
/// after a customer deactivates a machine.
public struct LicensePolicy: Sendable, Equatable {
    /// How a license's `max_machines` is counted.
    public enum Kind: String, Sendable, CaseIterable {
        /// A machine takes a slot when it activates and keeps it until deactivated or revoked.
        case nodeLocked = "node-locked"
        /// Machines register freely; at most `max_machines` hold a live seat (a lease of `lease_seconds`,
        /// taken by a release, renewed by a heartbeat, freed by a check-in or when it runs out).
        case floating
    }

    public var kind: Kind
    /// Releases allowed per UTC day (`nil`: unlimited).
    public var maxLoadsPerDay: Int64?
    /// Releases allowed per UTC calendar month (`nil`: unlimited).
    public var maxLoadsPerMonth: Int64?
    /// How long a release may be reused after a network error (`nil`: the lease TTL).
    public var graceSeconds: Int64?
    /// After a customer deactivates a machine, how long its slot stays held: only that same machine key may
    /// take it back until then (closes the deactivate/reactivate loophole).
    public var cooldownSeconds: Int64

    public init(
        kind: Kind = .nodeLocked, maxLoadsPerDay: Int64? = nil, maxLoadsPerMonth: Int64? = nil,
        graceSeconds: Int64? = nil, cooldownSeconds: Int64 = 0
    ) {
        self.kind = kind
        self.maxLoadsPerDay = maxLoadsPerDay
        self.maxLoadsPerMonth = maxLoadsPerMonth
        self.graceSeconds = graceSeconds
        self.cooldownSeconds = cooldownSeconds
    }

    /// Why a policy with a lease of `leaseSeconds` cannot be stored, or `nil` when it can: a floating seat
    /// is a lease, so it needs a TTL. One rule for the admin API and the console.
    public func problem(leaseSeconds: Int64) -> String? {
        kind == .floating && leaseSeconds < 1
            ? "a floating license needs a lease of at least 1 second (the seat's TTL)" : nil
    }

    /// The policy columns as the audit log records them (`license.add`, `license.limits`).
    public var auditDetail: String {
        let unlimited = "unlimited"
        return "policy=\(kind.rawValue) max_loads_day=\(maxLoadsPerDay.map(String.init) ?? unlimited) "
            + "max_loads_month=\(maxLoadsPerMonth.map(String.init) ?? unlimited) "
            + "grace_seconds=\(graceSeconds.map(String.init) ?? "lease") cooldown_seconds=\(cooldownSeconds)"
    }
}

/// A metering period: its key in `license_usage` and when the next one starts (UTC).
public struct UsagePeriod: Sendable, Equatable {
    /// `d:YYYY-MM-DD` or `m:YYYY-MM`.
    public let key: String
    public let resetsAt: Int64

    /// The UTC day holding `now`.
    public static func day(_ now: Int64) -> UsagePeriod {
        let start = now - ((now % 86_400) + 86_400) % 86_400
        return UsagePeriod(key: "d:" + LicenseTime.format(start).prefix(10), resetsAt: start + 86_400)
    }

    /// The UTC calendar month holding `now`.
    public static func month(_ now: Int64) -> UsagePeriod {
        let month = String(LicenseTime.format(now).prefix(7))
        let year = Int(month.prefix(4)) ?? 1970
        let number = Int(month.suffix(2)) ?? 1
        let next = number == 12 ? "\(year + 1)-01-01" : "\(year)-\(number < 9 ? "0" : "")\(number + 1)-01"
        return UsagePeriod(key: "m:" + month, resetsAt: LicenseTime.parse(next) ?? now)
    }
}
