/// What the console needs from a store beyond `ServerStore` (docs/CONSOLE.md): sessions, the per-day
/// rollup, keyset pages with names joined, and the audit chain's incremental verification.
public protocol ConsoleStore: ServerStore {
    func createSession(tokenHash: String, admin: String, csrf: String, now: Int64, expiresAt: Int64) async throws
    /// The session for a cookie token's hash, `nil` when unknown or expired (expired rows are deleted).
    func session(tokenHash: String, now: Int64) async throws -> ConsoleSession?
    func deleteSession(tokenHash: String, admin: String, now: Int64) async throws
    /// An audit entry for a console action that changes no other row (login, logout).
    func recordConsoleEvent(actor: String, action: String, subject: String, detail: String, now: Int64) async throws

    func dailyCounts(fromDay: Int64) async throws -> [DailyCount]
    func countRefusal(code: String, now: Int64) async throws
    func activeMachineCount(seenSince: Int64) async throws -> Int64
    func expiringLicenses(now: Int64, until: Int64, limit: Int) async throws -> [LicenseListing]

    func licenseListings(after: String?, customerID: String?, limit: Int) async throws -> [LicenseListing]
    func licenseListing(id: String) async throws -> LicenseListing?
    func machineActivity(licenseID: String, after: String?, limit: Int) async throws -> [MachineActivity]
    func customer(id: String) async throws -> CustomerRecord?
    func updateLicenseLimits(id: String, terms: LicenseTerms, actor: String, now: Int64) async throws

    func auditPage(_ query: AuditQuery) async throws -> [AuditRecord]
    /// Verifies at most `budget` entries after the last verified one and records how far it got.
    func verifyAuditIncrementally(budget: Int, now: Int64) async throws -> AuditVerification
    /// The status the last incremental verification recorded (two indexed reads, no hashing).
    func auditVerificationStatus() async throws -> AuditVerification
}
