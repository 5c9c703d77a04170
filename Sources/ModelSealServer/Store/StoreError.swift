/// Why the store refused an operation; the API maps each to an HTTP status (docs/SERVER.md §Errors).
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No such row (404).
    case notFound(String)
    /// A name or key that must be unique already exists (409).
    case conflict(String)
    /// The license does not allow it: revoked, expired, out of machines or loads (403).
    case refused(code: String, message: String)
    /// The database is newer than this server, or unreadable (500, and the server does not start).
    case database(String)

    /// The database was made by a newer server.
    static func newerSchema(found: Int64, known: Int64) -> StoreError {
        .database(
            "the database is at schema version \(found) and this server knows versions up to \(known): "
                + "run the newer modelseal-server that wrote it (a server never downgrades a database)")
    }

    public var description: String {
        switch self {
        case .notFound(let what): "not found: \(what)"
        case .conflict(let what): "already exists: \(what)"
        case .refused(_, let message): message
        case .database(let what): "database: \(what)"
        }
    }
}
