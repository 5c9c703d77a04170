/// A key server's address as the customer gives it: `https://HOST[:PORT][/PREFIX]`, or
/// `http://HOST:PORT[/PREFIX]` for a loopback server started with `--insecure-http`.
public struct ServerURL: Sendable, Equatable, CustomStringConvertible {
    /// `https://`: TLS with the server's key pinned (docs/SERVER.md §TLS).
    public let isTLS: Bool
    public let host: String
    public let port: Int
    /// A path prefix before `/v1/…` (no trailing slash).
    public let basePath: String

    public init(_ text: String) throws(ServerClientError) {
        isTLS = text.hasPrefix("https://")
        guard isTLS || text.hasPrefix("http://") else { throw .usage("\(text) is not an https:// or http:// URL") }
        var rest = Substring(text.dropFirst(isTLS ? "https://".count : "http://".count))
        var path = ""
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[slash...])
            rest = rest[..<slash]
        }
        while path.hasSuffix("/") { path.removeLast() }
        var host = String(rest)
        var port = isTLS ? 443 : 80
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") {
                guard let value = Int(after.dropFirst()) else { throw .usage("\(text): bad port") }
                port = value
            }
            host = String(host[host.index(after: host.startIndex)..<close])
        } else if let colon = host.lastIndex(of: ":") {
            guard let value = Int(host[host.index(after: colon)...]) else { throw .usage("\(text): bad port") }
            port = value
            host = String(host[..<colon])
        }
        guard !host.isEmpty, (1...65535).contains(port) else { throw .usage("\(text): no host or bad port") }
        self.host = host
        self.port = port
        self.basePath = path
    }

    var hostHeader: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    public var description: String { "\(isTLS ? "https" : "http")://\(hostHeader)\(basePath)" }
}
