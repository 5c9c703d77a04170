/// The console's migration (docs/CONSOLE.md §Schema): sessions shared by every server process on the
/// database, the per-day rollup the release transaction updates, each machine's last release, the
/// audit chain's incremental verification mark, and the indexes the console's keyset pages use.
enum ConsoleSchema {
    static let migration: [String] =
        [
            """
            CREATE TABLE console_sessions(token_hash TEXT PRIMARY KEY, admin TEXT NOT NULL, csrf TEXT NOT NULL,
                created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL)
            """,
            "CREATE INDEX console_sessions_expiry ON console_sessions(expires_at)",
            """
            CREATE TABLE daily_counts(day INTEGER NOT NULL, kind TEXT NOT NULL, count INTEGER NOT NULL,
                PRIMARY KEY(day, kind)) WITHOUT ROWID
            """,
            "ALTER TABLE machines ADD COLUMN last_seen_at INTEGER",
            "ALTER TABLE machines ADD COLUMN lease_expires_at INTEGER",
            """
            CREATE TABLE audit_verified(id INTEGER PRIMARY KEY CHECK(id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL,
                checked_at INTEGER NOT NULL, broken_at INTEGER)
            """,
        ] + indexes

    /// The indexes the console's keyset pages use, the same SQL on both stores.
    static let indexes: [String] = [
        "CREATE INDEX machines_license ON machines(license_id, id)",
        "CREATE INDEX machines_active ON machines(last_seen_at) WHERE revoked_at IS NULL",
        "CREATE INDEX licenses_customer ON licenses(customer_id, id)",
        "CREATE INDEX licenses_expiry ON licenses(expires_at)",
        "CREATE INDEX audit_actor ON audit(actor, seq)",
        "CREATE INDEX audit_action ON audit(action, seq)",
    ]
}
