import ArgumentParser
import ModelSealCore
import ModelSealServer

#if canImport(Glibc)
    import Glibc
#endif

extension ServerCommand {
    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a consistent snapshot of the database to a new file while the servers run.",
            discussion: """
                SQLite: the copy is a database file holding every committed transaction at the moment it starts \
                (VACUUM INTO). PostgreSQL: this runs PostgreSQL's pg_dump --format=custom (one snapshot \
                transaction; the password from $PGPASSWORD, TLS as --db's sslmode says); restore it with pg_restore into an empty database. \
                File keys in either stay wrapped under the master key: keep the master key apart from backups. \
                Restoring a backup undoes every release, activation and revocation after it — a machine revoked \
                since is active again (revoke it again) — and the audit chain then ends at the backup's head \
                (docs/SERVER.md §Backup).

                Examples:
                  modelseal-server backup --db sqlite:keys.db /backups/keys-$(date +%F).db
                  PGPASSWORD=... modelseal-server backup \\
                    --db 'postgres://ms@db1:5432/keys?sslmode=verify-full&sslrootcert=/etc/pg-ca.pem' /backups/keys.dump
                """)

        @OptionGroup var database: DatabaseOptions

        @Argument(help: ArgumentHelp("The new file (must not exist).", valueName: "OUTPUT"))
        var output: String

        func run() async throws {
            if PostgresLocation.isPostgres(database.db) {
                try dumpPostgres(try PostgresLocation(url: database.db))
            }
            let server = try await KeyServer.start(
                database: database.db, masterKeyFile: database.masterKeyFile, pkcs11Module: database.pkcs11Module,
                adminToken: nil)
            guard let store = server.store as? SQLiteStore else { throw ValidationError("unknown database kind") }
            try await store.backup(to: output)
            try await store.close()
            ServerCommand.writeError("modelseal-server: backup written to \(output)")
        }

        /// Replaces this process with `pg_dump` (from PATH) writing `output` in its custom format.
        func dumpPostgres(_ location: PostgresLocation) throws -> Never {
            guard access(output, F_OK) != 0 else { throw ValidationError("\(output) exists: give a new file") }
            let arguments = [
                "pg_dump", "--format=custom", "--no-password", "--file=\(output)",
                "--host=\(location.socketFolder ?? location.host ?? "")", "--port=\(location.port)",
                "--username=\(location.user)", "--dbname=\(location.database)",
            ]
            // libpq reads the same TLS settings from its environment (pg_dump's argv has no place for them).
            let tls = location.tls
            setenv("PGSSLMODE", tls.mode.rawValue, 1)
            for (name, value) in [
                ("PGSSLROOTCERT", tls.rootCertificateFile), ("PGSSLCERT", tls.clientCertificateFile),
                ("PGSSLKEY", tls.clientKeyFile),
            ] {
                if let value { setenv(name, value, 1) } else { unsetenv(name) }
            }
            var pointers = arguments.map { strdup($0) } + [nil]
            execvp("pg_dump", &pointers)
            throw ValidationError(
                "cannot run pg_dump (\(String(cString: strerror(errno)))): install PostgreSQL's client programs "
                    + "(Debian: apt-get install postgresql-client) or run pg_dump yourself (docs/SERVER.md §Backup)")
        }
    }
}
