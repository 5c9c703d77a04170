import Logging
import ModelSealCore
import NIOSSL
import PostgresNIO

extension PostgresStore {
    /// Connects to the database at `location` (the password from `$PGPASSWORD`), first with one direct
    /// connection so that a wrong address, user, password or certificate fails at once with its reason.
    public static func open(_ location: PostgresLocation, maximumConnections: Int = 16) async throws -> PostgresStore {
        let password = ProcessEnvironment.value(PostgresLocation.passwordVariable)
        let tls = try location.tls.configuration()
        do {
            let probe = try await PostgresConnection.connect(
                configuration: try connectionConfiguration(location, password: password, tls: tls), id: 0,
                logger: Logger(label: "modelseal-server.postgres", factory: { _ in SwiftLogNoOpLogHandler() }))
            try await probe.close()
        } catch {
            let place = location.socketPath ?? "\(location.host ?? ""):\(location.port)"
            throw StoreError.database(
                "cannot connect to PostgreSQL database \(location.database) at \(place) as \(location.user): "
                    + reason(error, location))
        }
        var configuration =
            if let socket = location.socketPath {
                PostgresClient.Configuration(
                    unixSocketPath: socket, username: location.user, password: password, database: location.database)
            } else {
                PostgresClient.Configuration(
                    host: location.host ?? "", port: location.port, username: location.user, password: password,
                    database: location.database, tls: tls.map { .require($0) } ?? .disable)
            }
        configuration.options.maximumConnections = maximumConnections
        return PostgresStore(client: PostgresClient(configuration: configuration))
    }

    static func connectionConfiguration(_ location: PostgresLocation, password: String?, tls: TLSConfiguration?)
        throws -> PostgresConnection.Configuration
    {
        if let socket = location.socketPath {
            return PostgresConnection.Configuration(
                unixSocketPath: socket, username: location.user, password: password, database: location.database)
        }
        let mode: PostgresConnection.Configuration.TLS =
            try tls.map { .require(try NIOSSLContext(configuration: $0)) } ?? .disable
        return PostgresConnection.Configuration(
            host: location.host ?? "", port: location.port, username: location.user, password: password,
            database: location.database, tls: mode)
    }

    /// Why a connection failed, in words an operator can act on.
    static func reason(_ error: any Error, _ location: PostgresLocation) -> String {
        let failure = error as? PSQLError
        if failure?.code == .sslUnsupported {
            return "the server does not offer TLS but --db asks for sslmode=\(location.tls.mode.rawValue): "
                + "turn on ssl in postgresql.conf (ssl_cert_file, ssl_key_file), or connect over a unix socket"
        }
        if let message = failure?.serverInfo?[.message] {
            let isPassword = failure?.serverInfo?[.sqlState] == "28P01" || message.contains("password")
            return message + (isPassword ? " (a password goes in $\(PostgresLocation.passwordVariable))" : "")
        }
        let underlying = failure?.underlying ?? error
        if let extra = underlying as? NIOSSLExtraError, extra == .failedToValidateHostname {
            return "the server's certificate does not name \(location.host ?? "") (sslmode=verify-full checks the "
                + "name --db connects to): connect to a host name the certificate was issued for"
        }
        if case NIOSSLError.handshakeFailed(let detail) = underlying {
            let text = "\(detail)"
            if text.contains("CERTIFICATE_VERIFY_FAILED") {
                return "the server's certificate is not signed by a CA in sslrootcert "
                    + "\(location.tls.rootCertificateFile ?? ""): give the CA that issued it"
            }
            return "the TLS handshake failed: \(text)"
        }
        return "\(error) (a password goes in $\(PostgresLocation.passwordVariable))"
    }
}
