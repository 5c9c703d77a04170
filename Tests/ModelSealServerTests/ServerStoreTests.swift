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
        let tcp = try PostgresLocation(url: "postgres://ms@db.example:6432/keys?sslmode=disable")
        #expect(tcp.user == "ms" && tcp.host == "db.example" && tcp.port == 6432 && tcp.database == "keys")
        #expect(tcp.socketPath == nil)
        let socket = try PostgresLocation(url: "postgresql://ms@/keys?host=/run/postgresql")
        #expect(socket.host == nil && socket.socketPath == "/run/postgresql/.s.PGSQL.5432")
        let v6 = try PostgresLocation(url: "postgres://ms@[::1]:5433/keys?sslmode=disable")
        #expect(v6.host == "::1" && v6.port == 5433)
        for (url, says) in [
            ("postgres://ms:secret@db/keys", "PGPASSWORD"), ("postgres://ms@db:99999/keys", "port"),
            ("postgres://db/keys", "user"), ("postgres://ms@db/", "DATABASE"),
            ("postgres://ms@/keys?host=run", "absolute"), ("postgres://ms@db/keys?host=/run", "not both"),
            ("postgres://ms@db/keys?user=x", "unknown parameter"),
        ] {
            #expect(Self.message(url).contains(says), "\(url)")
        }
    }

    /// `sslmode` as libpq names it, the default for each kind of host, and the combinations refused.
    @Test func postgresTLSSettings() throws {
        let ca = "&sslrootcert=/etc/ca.pem"
        for (url, mode) in [
            ("postgres://ms@db.example/keys?sslmode=require", PostgresTLS.Mode.require),
            ("postgres://ms@db.example/keys?sslmode=verify-ca" + ca, .verifyCA),
            ("postgres://ms@db.example/keys?sslmode=verify-full" + ca, .verifyFull),
            ("postgres://ms@db.example/keys?sslrootcert=/etc/ca.pem", .verifyFull),
            ("postgres://ms@127.0.0.1/keys?sslrootcert=/etc/ca.pem", .verifyFull),
            ("postgres://ms@127.0.0.1/keys", .disable), ("postgres://ms@localhost/keys", .disable),
            ("postgres://ms@[::1]/keys", .disable), ("postgres://ms@/keys?host=/run", .disable),
        ] {
            #expect(try PostgresLocation(url: url).tls.mode == mode, "\(url)")
        }
        let client = try PostgresLocation(url: "postgres://ms@db/k?sslrootcert=/ca.pem&sslcert=/c.pem&sslkey=/k.pem")
        #expect(client.tls.clientCertificateFile == "/c.pem" && client.tls.clientKeyFile == "/k.pem")
        for (url, says) in [
            ("postgres://ms@db.example/keys", "sslmode=verify-full&sslrootcert"),
            ("postgres://ms@127.0.0.9.example/keys", "reached over the network"),
            ("postgres://ms@db/keys?sslmode=prefer", "fall back to plain text"),
            ("postgres://ms@db/keys?sslmode=allow", "fall back to plain text"),
            ("postgres://ms@db/keys?sslmode=verify-full", "needs sslrootcert"),
            ("postgres://ms@db/keys?sslmode=verify-ca", "needs sslrootcert"),
            ("postgres://ms@/keys?host=/run&sslmode=require", "no TLS on a unix socket"),
            ("postgres://ms@db/keys?sslmode=disable" + ca, "takes no sslrootcert"),
            ("postgres://ms@db/keys?sslmode=require&sslcert=/c.pem", "together"),
        ] {
            #expect(Self.message(url).contains(says), "\(url): \(Self.message(url))")
        }
    }

    /// An unreadable or empty sslrootcert is refused before any connection is tried.
    @Test func anUnreadableRootCertificateIsRefused() async throws {
        let empty = FileManager.default.temporaryDirectory.path + "/ms-empty-" + Identifier.new("t") + ".pem"
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        defer { try? FileManager.default.removeItem(atPath: empty) }
        for file in ["/nonexistent/ca.pem", empty] {
            let location = try PostgresLocation(url: "postgres://ms@127.0.0.1:1/keys?sslrootcert=\(file)")
            let error = await #expect(throws: StoreError.self) { try await PostgresStore.open(location) }
            let message = error.map { "\($0)" } ?? ""
            #expect(message.contains("sslrootcert") && message.contains(file), "\(message)")
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
