import ArgumentParser
import ModelSealCore
import ModelSealServer

#if canImport(Glibc)
    import Glibc
#endif

/// `modelseal-server`: the vendor's key and license server (docs/SERVER.md). `modelseal server …` runs it.
@main
struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "modelseal-server",
        abstract: "The vendor's key and license server: activation, key release, leases, revocation, audit.",
        discussion: """
            Customers' machines activate with a license token and then ask the server for a version's file \
            key each time they open it; the server checks the license, counts the release and answers with \
            the key wrapped to that machine's key. The admin API (customers, models, licenses, revocation, \
            audit) is for the vendor's `modelseal admin` (docs/SERVER.md).

            Examples:
              MODELSEAL_ADMIN_TOKEN=$(cat admin.token) \\
                  modelseal-server --db sqlite:k.db --listen 127.0.0.1:8443 --insecure-http
              modelseal-server audit verify --db sqlite:keys.db
              modelseal-server backup --db sqlite:keys.db backup.db
            """,
        subcommands: [Serve.self, Audit.self, Backup.self, OpenAPI.self, Key.self],
        defaultSubcommand: Serve.self)
}

extension ServerCommand {
    struct OpenAPI: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "openapi", abstract: "Print the OpenAPI 3.1 document the server serves at /openapi.json.",
            discussion: "Example:\n  modelseal-server openapi > docs/openapi.json")

        func run() { print(KeyServer.openAPIText, terminator: "") }
    }
}

/// Options every subcommand that opens the database shares.
struct DatabaseOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The database: sqlite:PATH (one file, made when missing), or PostgreSQL for several server processes: "
                + "postgres://USER@HOST:PORT/DB or postgres://USER@/DB?host=/socket/dir (password in $PGPASSWORD, "
                + "never in the URL). TLS over TCP: ?sslmode=verify-full&sslrootcert=CA.pem checks the database's "
                + "certificate and name (the default when sslrootcert is given), verify-ca the certificate only, "
                + "require encrypts without checking (an attacker in the path can pose as the database), disable "
                + "is plain text; optional sslcert=FILE&sslkey=FILE. Without sslmode: plain text on a socket or "
                + "loopback, refused for any other host.", valueName: "URL"))
    var db: String

    @Option(
        name: [.customLong("master-key-file"), .customLong("master-key")],
        help: ArgumentHelp(
            "The master key that wraps every file key: a file holding the base64 of 32 bytes, or a pkcs11: URI "
                + "naming an AES-256 key on a token ('pkcs11:token=T;object=O', PIN in $MODELSEAL_PKCS11_PIN; the key "
                + "never leaves the token). Default: $MODELSEAL_SERVER_MASTER_KEY (either form), else PATH.master-key "
                + "beside a SQLite database (made on first start); PostgreSQL needs one of the first two, the same "
                + "for every server process.",
            valueName: "FILE|URI"))
    var masterKeyFile: String?

    @Option(
        name: .customLong("pkcs11-module"),
        help: ArgumentHelp(
            "PKCS#11 module of a pkcs11: master key (default: the URI's module-path, else $MODELSEAL_PKCS11_MODULE; "
                + "SoftHSM2: /usr/lib/softhsm/libsofthsm2.so).", valueName: "PATH"))
    var pkcs11Module: String?
}

extension ServerCommand {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the server (the default subcommand).",
            discussion: """
                The first admin's token comes from $MODELSEAL_ADMIN_TOKEN (stored hashed; `modelseal admin \
                admin add` makes named admins). The admin API is served on --listen unless --admin-listen is \
                given; a non-loopback --listen without --admin-listen is refused unless --expose-admin. Both \
                listeners serve TLS with --tls-cert and --tls-key (PEM); plain HTTP needs --insecure-http and \
                loopback addresses. On start the server prints its TLS key's pin (`sha256:HEX`): give it to \
                customers out of band for `modelseal activate --server-pin` (docs/SERVER.md §TLS). With \
                --master-key pkcs11:URI the master key stays on a PKCS#11 token and every file key is wrapped and \
                unwrapped there (docs/SERVER.md §Master key on a token).

                Examples:
                  MODELSEAL_ADMIN_TOKEN=$(cat admin.token) modelseal-server --db sqlite:k.db \\
                      --listen 0.0.0.0:8443 --admin-listen 127.0.0.1:8444 \\
                      --tls-cert server.pem --tls-key server.key
                  MODELSEAL_ADMIN_TOKEN=$(cat admin.token) \\
                      modelseal-server --db sqlite:k.db --listen 127.0.0.1:8443 --insecure-http
                  MODELSEAL_ADMIN_TOKEN=$(cat admin.token) MODELSEAL_PKCS11_PIN=$(cat pin) \\
                      modelseal-server --db sqlite:k.db --listen 127.0.0.1:8443 --insecure-http \\
                      --master-key 'pkcs11:token=server;object=master' \\
                      --pkcs11-module /usr/lib/softhsm/libsofthsm2.so
                """)

        @OptionGroup var database: DatabaseOptions

        @Option(help: ArgumentHelp("Client API address (port 0: any free port).", valueName: "HOST:PORT"))
        var listen: String = "127.0.0.1:8443"

        @Option(help: ArgumentHelp("Admin API address (default: the --listen address).", valueName: "HOST:PORT"))
        var adminListen: String?

        @Flag(help: "Serve the admin API on a non-loopback --listen address.")
        var exposeAdmin = false

        @Option(
            help: ArgumentHelp(
                "PEM certificate chain (server certificate first) for both listeners.", valueName: "FILE"))
        var tlsCert: String?

        @Option(help: ArgumentHelp("PEM private key of --tls-cert (unencrypted, mode 0600).", valueName: "FILE"))
        var tlsKey: String?

        @Flag(help: "Plain HTTP without TLS (loopback addresses only).")
        var insecureHttp = false

        @Option(help: "Releases per second per machine (token bucket refill).")
        var releaseRate: Double = 10

        @Option(help: "Releases a machine may make at once (token bucket size).")
        var releaseBurst: Double = 50

        @Flag(help: "No rate limits (tests and benchmarks).")
        var noRateLimit = false

        @Option(
            name: .customLong("ek-ca"),
            help: ArgumentHelp(
                "PEM file of EK CA certificates (a TPM maker's roots and intermediates; repeat): machines activated "
                    + "with `modelseal activate --tpm` prove their key is in a TPM whose EK certificate chains to one "
                    + "(docs/SERVER.md §TPM).",
                valueName: "FILE"))
        var ekCAs: [String] = []

        @Flag(help: "Release keys only to machines that proved their key is in such a TPM (needs --ek-ca).")
        var requireTpm = false

        @OptionGroup(title: "Console trace page (docs/CONSOLE.md §Trace)") var trace: TraceOptions

        func run() async throws {
            let listen = try ServerRunner.Address(self.listen)
            let admin = try adminListen.map { try ServerRunner.Address($0) }
            if admin == nil && !listen.isLoopback && !exposeAdmin {
                throw ValidationError("--listen \(listen) is not loopback: give --admin-listen, or --expose-admin")
            }
            guard releaseRate > 0, releaseBurst >= 1 else {
                throw ValidationError("--release-rate must be above 0 and --release-burst at least 1")
            }
            let tls = try transport(listen: listen, admin: admin)
            let server = try await KeyServer.start(
                database: database.db, masterKeyFile: database.masterKeyFile, pkcs11Module: database.pkcs11Module,
                adminToken: ProcessEnvironment.value("MODELSEAL_ADMIN_TOKEN"),
                limits: noRateLimit
                    ? .off
                    : RateLimits(
                        release: .init(rate: releaseRate, burst: releaseBurst), activation: .init(rate: 1, burst: 10)),
                trace: try trace.settings(),
                attestation: try EKAttestationPolicy.load(caFiles: ekCAs, required: requireTpm))
            if let tls { ServerCommand.writeError("modelseal-server: TLS key pin sha256:\(tls.spkiSHA256)") }
            let scheme = tls == nil ? "http" : "https"
            let runner = ServerRunner(server: server, listen: listen, adminListen: admin, tls: tls) { name, port in
                let host = name == "admin" ? (admin?.host ?? listen.host) : listen.host
                ServerCommand.writeError("modelseal-server: \(name) API listening on \(scheme)://\(host):\(port)")
            }
            try await runner.run()
        }

        /// TLS from --tls-cert/--tls-key, or `nil` for --insecure-http on loopback; anything else is refused.
        func transport(listen: ServerRunner.Address, admin: ServerRunner.Address?) throws -> ServerTLS? {
            switch (tlsCert, tlsKey) {
            case (let cert?, let key?):
                guard !insecureHttp else {
                    throw ValidationError("give either --tls-cert/--tls-key or --insecure-http")
                }
                do {
                    return try ServerTLS(certificateFile: cert, keyFile: key)
                } catch { throw ValidationError("\(error)") }
            case (nil, nil):
                guard insecureHttp else {
                    throw ValidationError(
                        "give --tls-cert FILE --tls-key FILE (PEM) to serve TLS, or --insecure-http for plain HTTP on "
                            + "a loopback address")
                }
                guard listen.isLoopback, admin?.isLoopback ?? true else {
                    throw ValidationError(
                        "\(listen.isLoopback ? admin?.description ?? "" : listen.description) is not a loopback "
                            + "address: plain HTTP (--insecure-http) is for 127.0.0.1, ::1 or localhost only; serve "
                            + "other addresses with --tls-cert FILE --tls-key FILE")
                }
                return nil
            default:
                throw ValidationError("--tls-cert and --tls-key go together")
            }
        }
    }

    static func writeError(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        bytes.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
    }
}

/// The console trace page's options: without both --originals and --mark-secret the page says it is off.
struct TraceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Folder of the unmarked originals the trace page offers.", valueName: "DIR"))
    var originals: String?

    @Option(
        name: .customLong("mark-secret"),
        help: ArgumentHelp("The vendor's mark secret (as given to `modelseal mark --secret`).", valueName: "FILE"))
    var markSecret: String?

    @Option(name: .customLong("trace-max-mib"), help: "Largest suspect file the trace page accepts, in MiB.")
    var maxMiB: Int = 4096

    @Option(name: .customLong("trace-timeout"), help: "Seconds a trace may run before the page gives up on it.")
    var timeoutSeconds: Int = 300

    func settings() throws -> TraceSettings? {
        guard originals != nil || markSecret != nil else { return nil }
        guard let originals, let markSecret else {
            throw ValidationError("the trace page needs both --originals DIR and --mark-secret FILE")
        }
        guard (1...(1 << 20)).contains(maxMiB), (1...86_400).contains(timeoutSeconds) else {
            throw ValidationError("--trace-max-mib is 1...1048576 and --trace-timeout 1...86400")
        }
        return try TraceSettings(
            originals: originals, secretFile: markSecret, maxUploadBytes: maxMiB << 20, timeoutSeconds: timeoutSeconds)
    }
}
