import Logging
import ModelSealCore
import NIOCore
import PostgresNIO

/// The store for several server processes on one PostgreSQL database (docs/SERVER.md §Stores).
///
/// Each business step is one `READ COMMITTED` transaction on a pooled connection. What makes a step
/// safe across processes is explicit row locking, not retries: activation and release lock their
/// license row (`SELECT … FOR UPDATE`) before they read the machine count, the load count or the
/// stored answer for a nonce, so two processes serve one license one step at a time; the audit chain's
/// append takes a transaction-scoped advisory lock, so its entries form one chain. Locks are always
/// taken in the order license row, per-day rollup row, audit lock, so the steps cannot deadlock; a
/// deadlock or serialization failure reported anyway is retried.
public final class PostgresStore: ServerStore {
    let client: PostgresClient
    let runner: Task<Void, Never>
    let logger = Logger(label: "modelseal-server.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    /// Advisory lock keys (`pg_advisory_xact_lock`): the audit chain's tail and the migrations.
    static let auditLock: Int64 = 0x6d73_6175_6469_7401
    static let migrationLock: Int64 = 0x6d73_6d69_6772_6101
    static let attempts = 5

    init(client: PostgresClient) {
        self.client = client
        self.runner = Task { await client.run() }
    }

    /// Runs `body` as one transaction on one connection, committed when it returns and rolled back when it
    /// throws; retried from the start on a deadlock or serialization failure.
    func transaction<T: Sendable>(_ body: (PostgresTransaction) async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await client.withConnection { connection in
                    let transaction = PostgresTransaction(connection: connection, logger: logger)
                    _ = try await transaction.rows("BEGIN")
                    do {
                        let result = try await body(transaction)
                        _ = try await transaction.rows("COMMIT")
                        return result
                    } catch {
                        _ = try? await transaction.rows("ROLLBACK")
                        throw error
                    }
                }
            } catch PostgresFailure.retryable where attempt < Self.attempts {
                attempt += 1
            } catch PostgresFailure.retryable {
                throw StoreError.database("the transaction kept conflicting with others; try again")
            }
        }
    }

    /// Runs reads outside a transaction (each statement sees what was committed when it started).
    func read<T: Sendable>(_ body: (PostgresTransaction) async throws -> T) async throws -> T {
        try await client.withConnection { try await body(PostgresTransaction(connection: $0, logger: logger)) }
    }

    public func migrate() async throws {
        try await transaction { db in
            // Servers starting together wait here: one applies the migrations, the others then find them.
            _ = try await db.rows("SELECT pg_advisory_xact_lock(\(Self.migrationLock))")
            _ = try await db.rows(
                "CREATE TABLE IF NOT EXISTS schema_migrations(version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
            let current = try await db.rows("SELECT MAX(version) AS v FROM schema_migrations").first?.int("v") ?? 0
            let known = Int64(PostgresSchema.migrations.count)
            guard current <= known else { throw StoreError.newerSchema(found: current, known: known) }
            for version in Int(current)..<PostgresSchema.migrations.count {
                for statement in PostgresSchema.migrations[version] {
                    _ = try await db.rows(PostgresQuery(unsafeSQL: statement))
                }
                _ = try await db.rows(
                    """
                    INSERT INTO schema_migrations(version, applied_at)
                    VALUES(\(Int64(version + 1)), EXTRACT(EPOCH FROM now())::BIGINT)
                    """)
            }
        }
    }

    public func close() async throws {
        runner.cancel()
        await runner.value
    }
}

/// A connection inside `PostgresStore.transaction` or `read`: statements and their rows.
struct PostgresTransaction: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        do {
            return try await connection.query(query, logger: logger).collect().map { $0.makeRandomAccess() }
        } catch let error as PSQLError {
            throw PostgresFailure.translate(error)
        }
    }
}

/// PostgreSQL errors as the store reports them.
enum PostgresFailure: Error {
    /// A deadlock or serialization failure: the whole transaction may be run again.
    case retryable

    static func translate(_ error: PSQLError) -> any Error {
        let state = error.serverInfo?[.sqlState] ?? ""
        let message = error.serverInfo?[.message] ?? "\(error.code)"
        switch state {
        case "40001", "40P01": return retryable
        case "23505", "23503": return StoreError.conflict(message)
        default: return StoreError.database(state.isEmpty ? message : "\(message) (SQLSTATE \(state))")
        }
    }
}

extension PostgresRandomAccessRow: StoreRow {
    func text(_ name: String) throws -> String {
        guard contains(name), let value = try? self[name].decode(String.self) else {
            throw StoreError.database("column \(name) is not text")
        }
        return value
    }

    func int(_ name: String) -> Int64? {
        guard contains(name) else { return nil }
        return (try? self[name].decode(Int64?.self)) ?? nil
    }

    func bytes(_ name: String) throws -> [UInt8] {
        guard contains(name), let buffer = try? self[name].decode(ByteBuffer.self) else {
            throw StoreError.database("column \(name) is not bytes")
        }
        return Array(buffer.readableBytesView)
    }
}

extension PostgresQuery.StringInterpolation {
    /// Bytes bound as `bytea`.
    mutating func appendInterpolation(bytes: [UInt8]) { appendInterpolation(ByteBuffer(bytes: bytes)) }
}
