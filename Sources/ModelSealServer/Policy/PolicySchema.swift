/// The policies' migration (docs/SERVER.md §Policies): each license's seat kind, daily and monthly
/// load limits, offline grace and deactivation cooldown; each machine's deactivation time and floating
/// seat; per-license counts per UTC day and month, updated inside the release transaction.
enum PolicySchema {
    static let migration: [String] = [
        "ALTER TABLE licenses ADD COLUMN policy TEXT NOT NULL DEFAULT 'node-locked'",
        "ALTER TABLE licenses ADD COLUMN max_loads_day INTEGER",
        "ALTER TABLE licenses ADD COLUMN max_loads_month INTEGER",
        "ALTER TABLE licenses ADD COLUMN grace_seconds INTEGER",
        "ALTER TABLE licenses ADD COLUMN cooldown_seconds INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE machines ADD COLUMN deactivated_at INTEGER",
        "ALTER TABLE machines ADD COLUMN seat_expires_at INTEGER",
        """
        CREATE TABLE license_usage(license_id TEXT NOT NULL REFERENCES licenses(id), period TEXT NOT NULL,
            count INTEGER NOT NULL, PRIMARY KEY(license_id, period)) WITHOUT ROWID
        """,
        "CREATE INDEX machines_seats ON machines(license_id, seat_expires_at)",
    ]
}
