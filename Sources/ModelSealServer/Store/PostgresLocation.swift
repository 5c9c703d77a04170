import ModelSealCore

/// Where the PostgreSQL store connects (docs/SERVER.md §Stores), parsed from `--db`:
/// `postgres://USER@HOST:PORT/DB` over TCP, or `postgres://USER@/DB?host=/socket/dir[&port=N]` over the
/// unix socket `DIR/.s.PGSQL.PORT`; TLS over TCP with libpq's `sslmode`, `sslrootcert`, `sslcert` and `sslkey`
/// (`PostgresTLS`). The password comes from `$PGPASSWORD`, never from the URL (argv is
/// readable by every user of the machine).
public struct PostgresLocation: Sendable, Equatable {
    public static let passwordVariable = "PGPASSWORD"
    static let defaultPort = 5432

    public let user: String
    /// The TCP host; `nil` for a unix socket.
    public let host: String?
    public let port: Int
    /// The folder holding the server's socket; `nil` over TCP.
    public let socketFolder: String?
    public let database: String
    /// TLS to the database (`sslmode`, `sslrootcert`, `sslcert`, `sslkey`).
    public let tls: PostgresTLS

    /// The socket file PostgreSQL listens on in `socketFolder`.
    public var socketPath: String? { socketFolder.map { "\($0)/.s.PGSQL.\(port)" } }

    public static func isPostgres(_ url: String) -> Bool {
        url.hasPrefix("postgres://") || url.hasPrefix("postgresql://")
    }

    public init(url: String) throws {
        guard let schemeEnd = url.range(of: "://"), Self.isPostgres(url) else {
            throw Self.invalid(url, "it must start with postgres://")
        }
        var rest = Substring(url[schemeEnd.upperBound...])
        var query: [String: String] = [:]
        if let mark = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: mark)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { throw Self.invalid(url, "the query part must be NAME=VALUE pairs") }
                query[String(parts[0])] = String(parts[1])
            }
            rest = rest[..<mark]
        }
        guard let at = rest.firstIndex(of: "@"), let slash = rest[at...].firstIndex(of: "/") else {
            throw Self.invalid(url, "it must name a user and a database: postgres://USER@HOST:PORT/DB")
        }
        let user = String(rest[..<at])
        guard !user.isEmpty, !user.contains(":") else {
            throw Self.invalid(
                url,
                "give the user only (no password in the URL: argv is visible to every local user); "
                    + "put the password in $\(Self.passwordVariable)")
        }
        let database = String(rest[rest.index(after: slash)...])
        guard !database.isEmpty, !database.contains("/") else { throw Self.invalid(url, "it must end with /DATABASE") }
        let authority = rest[rest.index(after: at)..<slash]
        let known = ["host", "port"] + PostgresTLS.parameterNames
        for name in query.keys where !known.contains(name) {
            throw Self.invalid(url, "unknown parameter \(name) (known: \(known.joined(separator: ", ")))")
        }
        var host: String? = nil
        var port = Self.defaultPort
        if !authority.isEmpty {
            let (name, portText) = Self.splitHostPort(authority)
            host = name
            if let portText {
                guard let number = Int(portText), (1...65535).contains(number) else {
                    throw Self.invalid(url, "the port must be a number from 1 to 65535")
                }
                port = number
            }
        }
        if let text = query["port"] {
            guard let number = Int(text), (1...65535).contains(number) else {
                throw Self.invalid(url, "the port must be a number from 1 to 65535")
            }
            port = number
        }
        let socketFolder = query["host"]
        guard (host == nil) != (socketFolder == nil) else {
            throw Self.invalid(url, "give either HOST:PORT after @ or ?host=/socket/dir, not both or neither")
        }
        if let socketFolder, !socketFolder.hasPrefix("/") {
            throw Self.invalid(url, "?host= must be the absolute path of the socket's folder")
        }
        self.tls = try PostgresTLS(query: query, host: host) { Self.invalid(url, $0) }
        self.user = user
        self.host = host
        self.port = port
        self.socketFolder = socketFolder
        self.database = database
    }

    /// `HOST`, `HOST:PORT`, `[V6]` or `[V6]:PORT`.
    static func splitHostPort(_ authority: Substring) -> (String, Substring?) {
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            let after = authority[authority.index(after: close)...]
            return (
                String(authority[authority.index(after: authority.startIndex)..<close]),
                after.isEmpty ? nil : after.dropFirst()
            )
        }
        guard let colon = authority.lastIndex(of: ":") else { return (String(authority), nil) }
        return (String(authority[..<colon]), authority[authority.index(after: colon)...])
    }

    static func invalid(_ url: String, _ why: String) -> StoreError {
        .database("--db \(url) is not a PostgreSQL URL this server reads: \(why)")
    }
}
