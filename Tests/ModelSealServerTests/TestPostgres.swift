import FoundationEssentials
import ModelSealServer

#if canImport(Glibc)
    import Glibc
#endif

/// The stores the router tests run against.
enum StoreKind: String, CaseIterable, Sendable {
    case sqlite, postgres
}

/// One real PostgreSQL 15 server for this test process (scripts/postgres-temp.sh), started on first use
/// and stopped when the process exits (or, if it crashes, by the script's watcher); each harness gets a
/// new database on it.
actor TestPostgres {
    static let shared = TestPostgres()
    static let repository = #filePath.replacingOccurrences(
        of: "/Tests/ModelSealServerTests/TestPostgres.swift", with: "")
    private var settings: [String: String]?

    /// A new empty database: its URL over TCP (the password is in `$PGPASSWORD` of this process).
    func newDatabase() throws -> String {
        let settings = try start()
        let name = "t_" + String(Identifier.new("db").dropFirst(3))
        try Self.psql(settings, "CREATE DATABASE \(name)")
        return "postgres://\(settings["PG_USER"] ?? "")@127.0.0.1:\(settings["PG_PORT"] ?? "")/\(name)"
    }

    /// Runs one SQL statement on `database` through psql over the socket (tests that tamper with rows).
    func execute(_ sql: String, database: String) throws {
        try Self.psql(try start(), sql, database: database)
    }

    private func start() throws -> [String: String] {
        if let settings { return settings }
        let output = try Self.run("bash '\(Self.repository)/scripts/postgres-temp.sh' start \(getpid())")
        var values: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
        }
        guard let folder = values["PG_DIR"], let password = values["PG_PASSWORD"] else {
            throw StoreError.database("scripts/postgres-temp.sh start printed no PG_DIR: \(output)")
        }
        setenv(PostgresLocation.passwordVariable, password, 1)
        startedFolder = strdup(folder)
        atexit {
            guard let folder = startedFolder else { return }
            _ = system("bash '\(TestPostgres.repository)/scripts/postgres-temp.sh' stop '\(String(cString: folder))'")
        }
        settings = values
        return values
    }

    private static func psql(_ settings: [String: String], _ sql: String, database: String = "postgres") throws {
        let command =
            "psql -q -v ON_ERROR_STOP=1 -h '\(settings["PG_DIR"] ?? "")' -p \(settings["PG_PORT"] ?? "") "
            + "-U \(settings["PG_USER"] ?? "") -d \(database) -c \"\(sql)\" >/dev/null"
        guard system(command) == 0 else { throw StoreError.database("psql failed: \(sql)") }
    }

    private static func run(_ command: String) throws -> String {
        guard let pipe = popen(command, "r") else { throw StoreError.database("cannot run \(command)") }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, pipe)
            if count <= 0 { break }
            output += buffer[0..<count]
        }
        guard pclose(pipe) == 0 else { throw StoreError.database("\(command) failed") }
        return String(decoding: output, as: UTF8.self)
    }
}

/// The folder `atexit` stops (a C callback cannot capture it).
nonisolated(unsafe) private var startedFolder: UnsafeMutablePointer<CChar>?
