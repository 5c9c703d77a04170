import HTTPTypes
import Hummingbird
import ModelSealCore

/// A request from a logged-in admin: the session and the hash of its cookie token.
struct ConsoleContext: Sendable {
    let session: ConsoleSession
    let tokenHash: String
    let store: any ConsoleStore

    var actor: String { "admin:" + session.admin }
    var csrfField: HTML { "<input type=\"hidden\" name=\"csrf\" value=\"\(session.csrf)\">" }
}

/// An error page's message and status.
struct ConsoleFailure: Error {
    let status: HTTPResponse.Status
    let message: String
}

/// Login, logout, sessions and the CSRF check (docs/CONSOLE.md §Security).
extension KeyServer {
    static let sessionCookie = "modelseal_console"
    static let loginCookie = "modelseal_login"
    static let sessionSeconds: Int64 = 8 * 3600

    var consoleStore: (any ConsoleStore)? { store as? any ConsoleStore }

    /// `Set-Cookie` for the session (or login) cookie: HttpOnly, SameSite=Strict, path /console, Secure
    /// when the request came over TLS.
    static func cookie(_ name: String, _ value: String, maxAge: Int64, request: Request) -> String {
        let secure = request.head.scheme == "https" ? "; Secure" : ""
        return "\(name)=\(value); Path=/console; Max-Age=\(maxAge); HttpOnly; SameSite=Strict\(secure)"
    }

    func consoleContext(_ request: Request) async throws -> ConsoleContext? {
        guard let store = consoleStore, let token = request.cookies[Self.sessionCookie]?.value, !token.isEmpty else {
            return nil
        }
        let hash = Identifier.tokenHash(token)
        guard let session = try await store.session(tokenHash: hash, now: clock()) else { return nil }
        return ConsoleContext(session: session, tokenHash: hash, store: store)
    }

    /// A page for a logged-in admin; anyone else is sent to the login page.
    func consolePage(_ request: Request, _ body: (ConsoleContext) async throws -> HTML) async -> Response {
        do {
            guard let context = try await consoleContext(request) else {
                return ConsoleResponse.redirect("/console/login")
            }
            return ConsoleResponse.html(try await body(context))
        } catch {
            return await consoleError(error, request)
        }
    }

    /// A form post from a logged-in admin whose `csrf` field matches the session's; anything else is refused.
    func consoleAction(
        _ request: Request, _ body: (ConsoleContext, [String: String]) async throws -> Response
    ) async -> Response {
        do {
            guard let context = try await consoleContext(request) else {
                return ConsoleResponse.redirect("/console/login")
            }
            let form = try await Self.form(request)
            guard let sent = form["csrf"], Self.sameSecret(sent, context.session.csrf) else {
                throw ConsoleFailure(
                    status: .forbidden,
                    message: "The form's security token is missing or stale: reload the page and submit it again.")
            }
            return try await body(context, form)
        } catch {
            return await consoleError(error, request)
        }
    }

    /// Compares two secrets through their hashes, so the time taken says nothing about either.
    static func sameSecret(_ a: String, _ b: String) -> Bool { Identifier.tokenHash(a) == Identifier.tokenHash(b) }

    /// An `application/x-www-form-urlencoded` body of at most 64 KiB.
    static func form(_ request: Request) async throws -> [String: String] {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: 64 * 1024)
        } catch {
            throw ConsoleFailure(status: .contentTooLarge, message: "The form is over 64 KiB.")
        }
        let text = String(buffer: buffer)
        if text.isEmpty { return [:] }
        do {
            return try URLEncodedFormDecoder().decode([String: String].self, from: text)
        } catch {
            throw ConsoleFailure(
                status: .badRequest, message: "The form could not be read: submit it from the console.")
        }
    }

    func consoleError(_ error: any Error, _ request: Request) async -> Response {
        let failure: ConsoleFailure
        switch error {
        case let error as ConsoleFailure: failure = error
        case let error as APIError: failure = ConsoleFailure(status: error.status, message: error.message)
        case let error as StoreError:
            let mapped = APIResponse.map(error)
            failure = ConsoleFailure(status: mapped.status, message: mapped.message)
        default: failure = ConsoleFailure(status: .internalServerError, message: "Internal error.")
        }
        let context = try? await consoleContext(request)
        let body: HTML =
            "<p class=\"notice error\" role=\"alert\">\(failure.message)</p><p><a href=\"/console\">Back</a></p>"
        return ConsoleResponse.html(ConsoleResponse.layout("Error", context, body), status: failure.status)
    }
}
