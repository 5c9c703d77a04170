import NIOCore
import SQLiteNIO

#if canImport(Glibc)
    import Glibc
#endif

/// The embedded store: one SQLite file in WAL mode with `synchronous=NORMAL` (docs/SERVER.md §Stores).
///
/// A committed transaction survives the server being killed; a power loss can lose the last
/// transactions committed before it (WAL pages not yet synced), never corrupt the file. One
/// connection runs one transaction at a time (`BEGIN IMMEDIATE`), which is what makes a release's
/// check-and-count atomic.
public final class SQLiteStore: ServerStore {
    let connection: SQLiteConnection
    let gate = AsyncGate()

    init(connection: SQLiteConnection) { self.connection = connection }

    /// Opens (creating) the database file at `path` and sets its journal mode.
    public static func open(path: String) async throws -> SQLiteStore {
        // Made owner-only before SQLite opens it (its -wal and -shm files take the same mode).
        let descriptor = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw StoreError.database("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        Glibc.close(descriptor)
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(storage: .file(path: path))
        } catch {
            throw StoreError.database("cannot open \(path): \(error)")
        }
        let store = SQLiteStore(connection: connection)
        for pragma in ["journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=5000"] {
            _ = try await store.rows("PRAGMA \(pragma)")
        }
        return store
    }

    func rows(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        do {
            return try await connection.query(sql, binds)
        } catch let error as SQLiteError
            where [.constraint, .constraintUniqueFailed, .constraintPrimaryKeyFailed].contains(error.reason)
        {
            throw StoreError.conflict(error.message)
        } catch {
            throw StoreError.database("\(error)")
        }
    }

    /// Runs `body` as one `BEGIN IMMEDIATE` transaction, rolled back when it throws.
    func transaction<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await gate.acquire()
        do {
            _ = try await rows("BEGIN IMMEDIATE")
            let result = try await body()
            _ = try await rows("COMMIT")
            await gate.release()
            return result
        } catch {
            _ = try? await rows("ROLLBACK")
            await gate.release()
            throw error
        }
    }

    /// Reads outside a transaction still wait for the connection.
    func read<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await gate.acquire()
        do {
            let result = try await body()
            await gate.release()
            return result
        } catch {
            await gate.release()
            throw error
        }
    }

    public func migrate() async throws {
        _ = try await rows(
            "CREATE TABLE IF NOT EXISTS schema_migrations(version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)")
        let current = try await rows("SELECT MAX(version) AS v FROM schema_migrations").first?.int("v") ?? 0
        let known = Int64(SQLiteSchema.migrations.count)
        guard current <= known else { throw StoreError.newerSchema(found: current, known: known) }
        for version in Int(current)..<SQLiteSchema.migrations.count {
            try await transaction {
                for statement in SQLiteSchema.migrations[version] { _ = try await rows(statement) }
                _ = try await rows(
                    "INSERT INTO schema_migrations(version, applied_at) VALUES(?, strftime('%s','now'))",
                    [.integer(numericCast(version + 1))])
            }
        }
    }

    public func close() async throws { try await connection.close() }
}

extension SQLiteData {
    static func int(_ value: Int64) -> SQLiteData { .integer(numericCast(value)) }
    static func int(_ value: Int64?) -> SQLiteData { value.map { .integer(numericCast($0)) } ?? .null }
    static func bytes(_ value: [UInt8]) -> SQLiteData { .blob(ByteBuffer(bytes: value)) }
}

extension SQLiteRow: StoreRow {
    func text(_ name: String) throws -> String {
        guard let value = column(name)?.string else { throw StoreError.database("column \(name) is not text") }
        return value
    }

    func int(_ name: String) -> Int64? { column(name)?.integer.map { Int64($0) } }

    func bytes(_ name: String) throws -> [UInt8] {
        guard let buffer = column(name)?.blob else { throw StoreError.database("column \(name) is not a blob") }
        return Array(buffer.readableBytesView)
    }
}

extension SQLiteStore {
    /// A consistent copy of the database at `path` (`VACUUM INTO`), taken between transactions.
    public func backup(to path: String) async throws {
        try await read { _ = try await rows("VACUUM INTO ?", [.text(path)]) }
    }
}
