/// Migration 3 (docs/SERVER.md §Schema, docs/CONSOLE.md §Schema): named admins' password hashes and the
/// registry of issued leak marks (docs/MARKING.md §Registry on the key server).
enum MarkRegistrySchema {
    static let migration: [String] = [
        "ALTER TABLE admins ADD COLUMN password_hash TEXT",
        """
        CREATE TABLE marks(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, customer TEXT NOT NULL,
            model_id TEXT NOT NULL, version TEXT NOT NULL, tiers TEXT NOT NULL, parameters TEXT NOT NULL,
            actor TEXT NOT NULL, created_at INTEGER NOT NULL)
        """,
        "CREATE INDEX marks_model ON marks(model_id, seq)",
    ]
}
