import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import Synchronization

/// Sends requests straight into a router in this process (no sockets): the same responder, middleware
/// and handlers the listeners run.
struct RouterClient: Sendable {
    let responder: RouterResponder<BasicRequestContext>

    init(_ router: Router<BasicRequestContext>) { responder = router.buildResponder() }

    func execute(
        uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: [UInt8] = []
    ) async throws -> (status: HTTPResponse.Status, body: [UInt8]) {
        var headers = headers
        headers[.contentLength] = String(body.count)
        let request = Request(
            head: HTTPRequest(method: method, scheme: "http", authority: "localhost", path: uri, headerFields: headers),
            body: RequestBody(buffer: ByteBuffer(bytes: body)))
        let context = BasicRequestContext(
            source: ApplicationRequestContextSource(channel: EmbeddedChannel(), logger: Logger(label: "test")))
        let response = try await responder.respond(to: request, context: context)
        let collector = Collector()
        try await response.body.write(collector)
        return (response.status, collector.bytes.withLock { $0 })
    }

    func text(_ uri: String) async throws -> String {
        String(decoding: try await execute(uri: uri, method: .get).body, as: UTF8.self)
    }
}

/// Collects a response body.
final class Collector: ResponseBodyWriter, Sendable {
    let bytes = Mutex<[UInt8]>([])

    func write(_ buffer: ByteBuffer) async throws { bytes.withLock { $0 += Array(buffer.readableBytesView) } }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
