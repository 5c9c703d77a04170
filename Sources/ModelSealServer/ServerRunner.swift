import Hummingbird
import Logging
import ServiceLifecycle

/// Runs the listeners until SIGTERM or SIGINT, then shuts down gracefully (docs/SERVER.md §Running).
public struct ServerRunner: Sendable {
    /// A `HOST:PORT` address.
    public struct Address: Sendable, Equatable, CustomStringConvertible {
        public let host: String
        public let port: Int

        public init(_ text: String) throws {
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
                (0...65535).contains(port)
            else { throw StoreError.database("\(text) is not HOST:PORT") }
            var host = String(text[..<colon])
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            self.host = host
            self.port = port
        }

        public var isLoopback: Bool { host == "localhost" || host == "::1" || host.hasPrefix("127.") }
        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    public let server: KeyServer
    public let listen: Address
    /// The admin listener; `nil` serves the admin API on `listen` (loopback only, or with `exposeAdmin`).
    public let adminListen: Address?
    /// TLS on both listeners; `nil` serves plain HTTP (loopback only, `--insecure-http`).
    public let tls: ServerTLS?
    /// Called with each listener's name and bound port once it accepts connections.
    public let onListening: @Sendable (String, Int) -> Void

    public init(
        server: KeyServer, listen: Address, adminListen: Address?, tls: ServerTLS? = nil,
        onListening: @escaping @Sendable (String, Int) -> Void
    ) {
        self.server = server
        self.listen = listen
        self.adminListen = adminListen
        self.tls = tls
        self.onListening = onListening
    }

    public func run() async throws {
        var logger = Logger(label: "modelseal-server")
        logger.logLevel = .warning
        var services: [any Service] = []
        if let adminListen {
            services.append(try application(server.clientRouter(), listen, name: "client", logger: logger))
            services.append(try application(server.adminRouter(), adminListen, name: "admin", logger: logger))
        } else {
            services.append(try application(server.combinedRouter(), listen, name: "client+admin", logger: logger))
        }
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        try await server.store.close()
    }

    func application(
        _ router: Router<BasicRequestContext>, _ address: Address, name: String, logger: Logger
    ) throws -> any Service {
        let report = onListening
        let configuration = ApplicationConfiguration(
            address: .hostname(address.host, port: address.port), serverName: nil)
        guard let tls else {
            return Application(
                router: router, configuration: configuration,
                onServerRunning: { channel in report(name, channel.localAddress?.port ?? address.port) },
                logger: logger)
        }
        return Application(
            responder: HTTPSResponder(inner: router.buildResponder()),
            server: try .tls(.http1(), tlsConfiguration: tls.configuration), configuration: configuration,
            onServerRunning: { channel in report(name, channel.localAddress?.port ?? address.port) },
            logger: logger)
    }
}
