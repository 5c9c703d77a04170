/// The SQLite schema as forward-only migrations (docs/SERVER.md §Schema): migration N is applied once,
/// in order, and recorded in `schema_migrations`; a database with a version above the last one here
/// was made by a newer server and is refused.
enum SQLiteSchema {
    static let migrations: [[String]] = [
        [
            """
            CREATE TABLE settings(name TEXT PRIMARY KEY, value BLOB NOT NULL)
            """,
            """
            CREATE TABLE admins(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, token_hash TEXT NOT NULL UNIQUE,
                created_at INTEGER NOT NULL)
            """,
            """
            CREATE TABLE customers(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL)
            """,
            """
            CREATE TABLE models(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL)
            """,
            """
            CREATE TABLE versions(file_id TEXT PRIMARY KEY, model_id TEXT NOT NULL REFERENCES models(id),
                wrapped_key BLOB NOT NULL, created_at INTEGER NOT NULL)
            """,
            """
            CREATE TABLE licenses(id TEXT PRIMARY KEY, customer_id TEXT NOT NULL REFERENCES customers(id),
                model_id TEXT NOT NULL REFERENCES models(id), token_hash TEXT NOT NULL UNIQUE,
                max_machines INTEGER NOT NULL, max_loads INTEGER, loads INTEGER NOT NULL DEFAULT 0,
                expires_at INTEGER, lease_seconds INTEGER NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER)
            """,
            """
            CREATE TABLE machines(id TEXT PRIMARY KEY, license_id TEXT NOT NULL REFERENCES licenses(id),
                machine_key BLOB NOT NULL, signing_key BLOB NOT NULL, label TEXT NOT NULL,
                activated_at INTEGER NOT NULL, revoked_at INTEGER, UNIQUE(license_id, machine_key))
            """,
            """
            CREATE TABLE releases(machine_id TEXT NOT NULL REFERENCES machines(id), nonce TEXT NOT NULL,
                license_id TEXT NOT NULL, file_id TEXT NOT NULL, answer BLOB NOT NULL, created_at INTEGER NOT NULL,
                PRIMARY KEY(machine_id, nonce))
            """,
            """
            CREATE TABLE audit(seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL,
                action TEXT NOT NULL, subject TEXT NOT NULL, detail TEXT NOT NULL, hash TEXT NOT NULL)
            """,
        ],
        ConsoleSchema.migration,
        MarkRegistrySchema.migration,
        PolicySchema.migration,
        MachineKeySchema.migration,
    ]
}
