/// Migration 5 (docs/SERVER.md §Schema, §TPM): each machine's key kinds, so the server wraps releases with the
/// machine key's KEM and checks requests with the signing key's algorithm (machines activated before it are
/// X25519 / Ed25519, the only kinds there were), and its EK attestation: the SHA-256 of the credential's secret
/// the server is waiting for, and when the machine proved it. The same statements on SQLite and PostgreSQL.
enum MachineKeySchema {
    static let migration: [String] = [
        "ALTER TABLE machines ADD COLUMN machine_kem TEXT NOT NULL DEFAULT 'x25519'",
        "ALTER TABLE machines ADD COLUMN signing_algorithm TEXT NOT NULL DEFAULT 'ed25519'",
        "ALTER TABLE machines ADD COLUMN attestation_hash TEXT",
        "ALTER TABLE machines ADD COLUMN attested_at BIGINT",
    ]
}
