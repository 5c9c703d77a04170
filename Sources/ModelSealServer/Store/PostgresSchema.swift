/// The PostgreSQL schema as forward-only migrations, version for version the same tables, columns and
/// indexes as `SQLiteSchema` (docs/SERVER.md §Schema) in PostgreSQL's types: `BIGINT` for integers,
/// `BYTEA` for blobs, and `COLLATE "C"` on text keys so that keyset pages order bytewise as on SQLite.
enum PostgresSchema {
    static let migrations: [[String]] = [
        [
            "CREATE TABLE settings(name TEXT COLLATE \"C\" PRIMARY KEY, value BYTEA NOT NULL)",
            """
            CREATE TABLE admins(id TEXT COLLATE "C" PRIMARY KEY, name TEXT COLLATE "C" NOT NULL UNIQUE,
                token_hash TEXT COLLATE "C" NOT NULL UNIQUE, created_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE customers(id TEXT COLLATE "C" PRIMARY KEY, name TEXT COLLATE "C" NOT NULL UNIQUE,
                created_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE models(id TEXT COLLATE "C" PRIMARY KEY, name TEXT COLLATE "C" NOT NULL UNIQUE,
                created_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE versions(file_id TEXT COLLATE "C" PRIMARY KEY, model_id TEXT COLLATE "C" NOT NULL
                REFERENCES models(id), wrapped_key BYTEA NOT NULL, created_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE licenses(id TEXT COLLATE "C" PRIMARY KEY, customer_id TEXT COLLATE "C" NOT NULL
                REFERENCES customers(id), model_id TEXT COLLATE "C" NOT NULL REFERENCES models(id),
                token_hash TEXT COLLATE "C" NOT NULL UNIQUE, max_machines BIGINT NOT NULL, max_loads BIGINT,
                loads BIGINT NOT NULL DEFAULT 0, expires_at BIGINT, lease_seconds BIGINT NOT NULL,
                created_at BIGINT NOT NULL, revoked_at BIGINT)
            """,
            """
            CREATE TABLE machines(id TEXT COLLATE "C" PRIMARY KEY, license_id TEXT COLLATE "C" NOT NULL
                REFERENCES licenses(id), machine_key BYTEA NOT NULL, signing_key BYTEA NOT NULL, label TEXT NOT NULL,
                activated_at BIGINT NOT NULL, revoked_at BIGINT, UNIQUE(license_id, machine_key))
            """,
            """
            CREATE TABLE releases(machine_id TEXT COLLATE "C" NOT NULL REFERENCES machines(id),
                nonce TEXT COLLATE "C" NOT NULL, license_id TEXT COLLATE "C" NOT NULL, file_id TEXT COLLATE "C" NOT NULL,
                answer BYTEA NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY(machine_id, nonce))
            """,
            """
            CREATE TABLE audit(seq BIGINT PRIMARY KEY, at BIGINT NOT NULL, actor TEXT COLLATE "C" NOT NULL,
                action TEXT COLLATE "C" NOT NULL, subject TEXT NOT NULL, detail TEXT NOT NULL, hash TEXT NOT NULL)
            """,
        ],
        // The console's migration (ConsoleSchema.migration on SQLite).
        [
            """
            CREATE TABLE console_sessions(token_hash TEXT COLLATE "C" PRIMARY KEY, admin TEXT NOT NULL,
                csrf TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL)
            """,
            "CREATE INDEX console_sessions_expiry ON console_sessions(expires_at)",
            """
            CREATE TABLE daily_counts(day BIGINT NOT NULL, kind TEXT COLLATE "C" NOT NULL, count BIGINT NOT NULL,
                PRIMARY KEY(day, kind))
            """,
            "ALTER TABLE machines ADD COLUMN last_seen_at BIGINT",
            "ALTER TABLE machines ADD COLUMN lease_expires_at BIGINT",
            """
            CREATE TABLE audit_verified(id BIGINT PRIMARY KEY CHECK(id = 1), seq BIGINT NOT NULL, hash TEXT NOT NULL,
                checked_at BIGINT NOT NULL, broken_at BIGINT)
            """,
        ] + ConsoleSchema.indexes,
    ]
}
