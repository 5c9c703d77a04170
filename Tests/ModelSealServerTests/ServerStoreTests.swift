import FoundationEssentials
import ModelSealCore
import Testing

@testable import ModelSealServer

/// What both stores must do the same way outside the API: migrations, and the PostgreSQL URL forms.
@Suite struct ServerStoreTests {
    @Test(arguments: StoreKind.allCases) func aDatabaseFromANewerServerIsRefused(_ kind: StoreKind) async throws {
        let harness = try await ServerHarness.make(kind)
        let known = kind == .sqlite ? SQLiteSchema.migrations.count : PostgresSchema.migrations.count
        try await harness.tamper("INSERT INTO schema_migrations(version, applied_at) VALUES(\(known + 1), 0)")
        let error = await #expect(throws: StoreError.self) {
            try await KeyServer.start(
                database: harness.url, masterKeyFile: harness.folder + "/master-key", adminToken: nil)
        }
        let message = error.map { "\($0)" } ?? ""
        #expect(message.contains("schema version \(known + 1)") && message.contains("never downgrades"))
        try await harness.close()
    }

    @Test func postgresURLs() throws {
        let tcp = try PostgresLocation(url: "postgres://ms@db.example:6432/keys")
        #expect(tcp.user == "ms" && tcp.host == "db.example" && tcp.port == 6432 && tcp.database == "keys")
        #expect(tcp.socketPath == nil)
        let socket = try PostgresLocation(url: "postgresql://ms@/keys?host=/run/postgresql")
        #expect(socket.host == nil && socket.socketPath == "/run/postgresql/.s.PGSQL.5432")
        let v6 = try PostgresLocation(url: "postgres://ms@[::1]:5433/keys?sslmode=disable")
        #expect(v6.host == "::1" && v6.port == 5433)
        for (url, says) in [
            ("postgres://ms:secret@db/keys", "PGPASSWORD"), ("postgres://ms@db:99999/keys", "port"),
            ("postgres://db/keys", "user"), ("postgres://ms@db/", "DATABASE"),
            ("postgres://ms@db/keys?sslmode=require", "TLS"), ("postgres://ms@/keys?host=run", "absolute"),
            ("postgres://ms@db/keys?host=/run", "not both"), ("postgres://ms@db/keys?user=x", "unknown parameter"),
        ] {
            #expect(Self.message(url).contains(says), "\(url)")
        }
    }

    /// The error a URL is refused with (empty when it is accepted).
    static func message(_ url: String) -> String {
        do {
            _ = try PostgresLocation(url: url)
            return ""
        } catch { return "\(error)" }
    }
}
