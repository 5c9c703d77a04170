import ModelSealServerProtocol

/// The one repository protocol both stores implement (SQLite; PostgreSQL, docs/SERVER.md §Stores).
///
/// Operations are whole business steps, each one transaction: a release checks the policy, counts
/// and records its answer under the request nonce together, so concurrent requests cannot over-release.
public protocol ServerStore: Sendable {
    /// Applies the migrations this server knows, refusing a database made by a newer server.
    func migrate() async throws

    func setting(_ name: String) async throws -> [UInt8]?
    /// Stores `value` unless the setting exists; returns the stored value (first writer wins).
    func initializeSetting(_ name: String, value: [UInt8]) async throws -> [UInt8]

    func addAdmin(name: String, tokenHash: String, actor: String, now: Int64) async throws
    /// The admin's name for a token hash.
    func admin(tokenHash: String) async throws -> String?
    func adminCount() async throws -> Int

    func addCustomer(name: String, actor: String, now: Int64) async throws -> CustomerRecord
    func customers(after: String?, limit: Int) async throws -> [CustomerRecord]
    func customer(named name: String) async throws -> CustomerRecord?

    func addModel(name: String, actor: String, now: Int64) async throws -> ModelRecord
    func models(after: String?, limit: Int) async throws -> [ModelRecord]
    func model(named name: String) async throws -> ModelRecord?
    func model(id: String) async throws -> ModelRecord?
    func addVersion(modelID: String, fileID: String, wrappedKey: [UInt8], actor: String, now: Int64) async throws
        -> VersionRecord
    func versions(modelID: String) async throws -> [VersionRecord]

    func addLicense(
        customerID: String, modelID: String, tokenHash: String, terms: LicenseTerms, actor: String, now: Int64
    ) async throws -> LicenseRecord
    func license(id: String) async throws -> LicenseRecord?
    func licenses(after: String?, limit: Int) async throws -> [LicenseRecord]
    func revokeLicense(id: String, actor: String, now: Int64) async throws
    func machines(licenseID: String) async throws -> [MachineRecord]
    func revokeMachine(id: String, actor: String, now: Int64) async throws

    /// Registers a machine key on the license whose token hashes to `tokenHash`, in one transaction
    /// with the machine-count check; re-activating the same machine key returns its existing row with the
    /// new signing key.
    func activate(
        tokenHash: String, machineKey: [UInt8], machineKEM: ReleaseKEM, signingKey: [UInt8],
        signingAlgorithm: RequestSigningAlgorithm, label: String, now: Int64
    ) async throws -> MachineRecord
    func machine(id: String) async throws -> MachineRecord?
    /// Records the SHA-256 (hex) of the EK credential's secret this machine must show (docs/SERVER.md §TPM).
    func expectAttestation(machineID: String, secretHash: String) async throws
    /// Marks the machine attested when `secretHash` is the one expected (the expectation is used up), in one
    /// transaction with its audit entry; refuses `not_attested` otherwise.
    func attest(machineID: String, secretHash: String, now: Int64) async throws -> MachineRecord

    /// The stored answer for `(machineID, nonce)` if any; otherwise checks the license, the version and
    /// the quota, counts the release and stores `answer(license, version)` — all in one transaction.
    func release(
        machineID: String, nonce: String, fileID: String, now: Int64,
        answer: @Sendable (LicenseRecord, VersionRecord) throws -> [UInt8]
    ) async throws -> [UInt8]

    func audit(after: Int64, limit: Int) async throws -> [AuditRecord]
    func close() async throws

    // MARK: policies and rotation (docs/SERVER.md §Policies, §Rotation)

    /// Floating: takes or renews the machine's seat (refused when every seat is live elsewhere); node-locked:
    /// checks the machine and license are still good. Returns the machine with its seat's end.
    func heartbeat(machineID: String, now: Int64) async throws -> MachineRecord
    /// Frees the machine's floating seat now (a no-op without one).
    func checkIn(machineID: String, now: Int64) async throws
    /// The customer's deactivation: frees the seat; the node-locked slot stays held for the license's
    /// cooldown, for this machine key only.
    func deactivate(machineID: String, now: Int64) async throws
    /// Replaces admin `name`'s token hash; the old token stops working (and its console sessions end).
    func rotateAdminToken(name: String, tokenHash: String, actor: String, now: Int64) async throws
    /// Replaces every secret wrapped under the master key — the settings named in `settings` (labelled by
    /// name; absent ones skipped) and every version's key (labelled `file-key FILE_ID`) — by
    /// `rewrap(label, wrapped)`, all in one transaction with an audit entry; returns how many.
    func rewrapSecrets(
        settings: [String], actor: String, now: Int64,
        _ rewrap: @Sendable (_ label: String, _ wrapped: [UInt8]) throws -> [UInt8]
    ) async throws -> Int
    /// Sets (or replaces) a named admin's password hash (AdminPassword's encoding); throws when no such admin.
    func setAdminPassword(name: String, passwordHash: String, actor: String, now: Int64) async throws
    /// The admin's stored password hash, `nil` when the admin is unknown or has no password.
    func adminPasswordHash(name: String) async throws -> String?

    /// Records an issued leak mark (docs/MARKING.md §Registry on the key server), audited in one transaction.
    func addMark(_ mark: NewMark, actor: String, now: Int64) async throws -> MarkRecord
    /// Issued marks in issue order after sequence number `after`, of one model id when given.
    func marks(modelID: String?, after: Int64, limit: Int) async throws -> [MarkRecord]

    /// Replaces the settings in `values` in one transaction with an audit entry (`action` on `name`),
    /// only while setting `name` still holds `expected`: two rotations at once cannot both win
    /// (`StoreError.conflict` for the later one).
    func replaceSettings(
        _ values: [String: [UInt8]], whileSetting name: String, holds expected: [UInt8], actor: String,
        action: String, now: Int64
    ) async throws
}
