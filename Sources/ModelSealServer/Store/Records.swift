import ModelSealServerProtocol

/// Rows of the server's database, as the API sees them (docs/SERVER.md §Schema).

/// A customer: the party licenses are issued to.
public struct CustomerRecord: Sendable, Equatable {
    public let id: String
    public let name: String
    public let createdAt: Int64
}

/// A model: a name that versions (sealed files) belong to.
public struct ModelRecord: Sendable, Equatable {
    public let id: String
    public let name: String
    public let createdAt: Int64
}

/// A version: one sealed file, named by the SHA-256 of its header, with its file key wrapped under
/// the server's master key.
public struct VersionRecord: Sendable, Equatable {
    public let fileID: String
    public let modelID: String
    public let wrappedKey: [UInt8]
    public let createdAt: Int64
}

/// A license: a customer's right to a model's versions on at most `maxMachines` machines.
public struct LicenseRecord: Sendable, Equatable {
    public let id: String
    public let customerID: String
    public let modelID: String
    /// SHA-256 (hex) of the activation token; the token itself is shown once, at creation.
    public let tokenHash: String
    public let maxMachines: Int64
    /// Releases allowed in all (`nil`: unlimited).
    public let maxLoads: Int64?
    /// Releases counted so far.
    public let loads: Int64
    public let expiresAt: Int64?
    /// How long a release may be reused offline after a network error.
    public let leaseSeconds: Int64
    public let createdAt: Int64
    public let revokedAt: Int64?
    /// Seats, metering, offline grace, deactivation cooldown.
    public var policy = LicensePolicy()
}

/// A machine: one machine key activated on a license.
public struct MachineRecord: Sendable, Equatable {
    public let id: String
    public let licenseID: String
    /// Public key file keys are wrapped to (X25519, or P-256 for a machine key in a TPM).
    public let machineKey: [UInt8]
    /// Public key the machine signs requests with (Ed25519, or ECDSA P-256 in a TPM).
    public let signingKey: [UInt8]
    public let label: String
    public let activatedAt: Int64
    public let revokedAt: Int64?
    /// When the customer deactivated it (`modelseal deactivate`); `nil` while active.
    public var deactivatedAt: Int64? = nil
    /// End of its floating seat (floating licenses only).
    public var seatExpiresAt: Int64? = nil
    /// The machine key's KEM (`machine_kem`).
    public var machineKEM: ReleaseKEM = .x25519
    /// The signing key's algorithm (`signing_algorithm`).
    public var signingAlgorithm: RequestSigningAlgorithm = .ed25519
    /// When the machine proved its machine key is in the TPM whose EK certificate it sent (`POST /v1/attest`).
    public var attestedAt: Int64? = nil
}

/// One entry of the hash-chained audit log.
public struct AuditRecord: Sendable, Equatable {
    public let sequence: Int64
    public let at: Int64
    /// Who: `admin:NAME`, `machine:ID` or `server`.
    public let actor: String
    public let action: String
    public let subject: String
    public let detail: String
    /// Hex SHA-256 of the previous entry's hash and this entry's fields (docs/SERVER.md §Audit).
    public let hash: String

    public init(
        sequence: Int64, at: Int64, actor: String, action: String, subject: String, detail: String, hash: String
    ) {
        self.sequence = sequence
        self.at = at
        self.actor = actor
        self.action = action
        self.subject = subject
        self.detail = detail
        self.hash = hash
    }
}

/// What a new license is made with.
public struct LicenseTerms: Sendable, Equatable {
    public var maxMachines: Int64
    public var maxLoads: Int64?
    public var expiresAt: Int64?
    public var leaseSeconds: Int64
    public var policy = LicensePolicy()

    public init(maxMachines: Int64, maxLoads: Int64? = nil, expiresAt: Int64? = nil, leaseSeconds: Int64 = 86_400) {
        self.maxMachines = maxMachines
        self.maxLoads = maxLoads
        self.expiresAt = expiresAt
        self.leaseSeconds = leaseSeconds
    }
}

extension LicenseTerms {
    /// The terms as `license.limits` records them in the audit log (both stores).
    public var auditDetail: String {
        "max_machines=\(maxMachines) max_loads=\(maxLoads.map(String.init) ?? "unlimited") "
            + "expires_at=\(expiresAt.map(String.init) ?? "never") lease_seconds=\(leaseSeconds) \(policy.auditDetail)"
    }
}

extension LicenseRecord {
    /// A new license (no loads, not revoked) with a fresh id.
    static func new(customerID: String, modelID: String, tokenHash: String, terms: LicenseTerms, now: Int64)
        -> LicenseRecord
    {
        LicenseRecord(
            id: Identifier.new("lic"), customerID: customerID, modelID: modelID, tokenHash: tokenHash,
            maxMachines: terms.maxMachines, maxLoads: terms.maxLoads, loads: 0, expiresAt: terms.expiresAt,
            leaseSeconds: terms.leaseSeconds, createdAt: now, revokedAt: nil, policy: terms.policy)
    }
}
