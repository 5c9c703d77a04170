import Hummingbird

/// Gives a request no route matched the API's JSON error: 405 with `Allow` for a known path and another
/// method, 404 otherwise (the paths are those of docs/openapi.json). Added first to each router, it
/// also wraps the router's not-found responder.
struct UnroutedMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let allowed: [String]

    func handle(
        _ request: Request, context: BasicRequestContext,
        next: (Request, BasicRequestContext) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let methods = OpenAPIDocument.methods(for: request.uri.path, among: allowed)
            guard !methods.isEmpty else {
                return APIResponse.error(.notFound("no such endpoint: \(request.uri.path) (see /openapi.json)"))
            }
            var response = APIResponse.error(
                APIError(
                    status: .methodNotAllowed, code: "method_not_allowed",
                    message: "\(request.method) is not allowed here: use \(methods.joined(separator: ", "))"))
            response.headers[.allow] = methods.joined(separator: ", ")
            return response
        }
    }
}

extension OpenAPIDocument {
    /// The documented methods of the path template that `path` matches, among `templates`.
    static func methods(for path: String, among templates: [String]) -> [String] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard let paths = json["paths"]?.objectValue else { return [] }
        for template in templates {
            let pattern = template.split(separator: "/", omittingEmptySubsequences: false)
            guard pattern.count == parts.count,
                zip(pattern, parts).allSatisfy({ $0.hasPrefix("{") ? !$1.isEmpty : $0 == $1 })
            else { continue }
            return (paths[template]?.objectValue?.names ?? []).filter { $0 != "parameters" }.map { $0.uppercased() }
        }
        return []
    }

    /// The documented paths of the client API and of the admin API (each with the operations' paths).
    static var clientPathNames: [String] { (operationsPaths + clientPaths).map(\.0) }
    static var adminPathNames: [String] { (operationsPaths + adminPaths).map(\.0) }
}
