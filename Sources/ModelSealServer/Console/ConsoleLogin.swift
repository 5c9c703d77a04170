import HTTPTypes
import Hummingbird
import ModelSealCore

/// `/console/login` and `/console/logout`: the admin logs in by name and password, or with an admin token
/// (docs/CONSOLE.md §Security). The login form carries a token that must equal its cookie (the form has no session yet).
extension KeyServer {
    func loginPage(_ request: Request, message: String? = nil) -> Response {
        let formToken = Identifier.newToken()
        let notice: HTML = message.map { "<p class=\"notice error\" role=\"alert\">\($0)</p>" } ?? ""
        let body: HTML = """
            \(notice)
            <form class="stack" method="post" action="/console/login">
            <input type="hidden" name="csrf" value="\(formToken)">
            <label for="name">Admin name (empty: log in with an admin token)<input id="name" name="name" type="text" autocomplete="username" autofocus></label>
            <label for="token">Password, or admin token<input id="token" name="token" type="password" autocomplete="current-password" required></label>
            <button type="submit">Log in</button></form>
            <p class="muted">A named admin's password is set by <code>modelseal admin user add NAME --password-env VAR</code>.
            An admin token is printed once by <code>POST /v1/admin/admins</code>; the first one is
            <code>$MODELSEAL_ADMIN_TOKEN</code> of the first start.</p>
            """
        var response = ConsoleResponse.html(
            ConsoleResponse.layout("Log in", nil, body), status: message == nil ? .ok : .unauthorized)
        response.headers[.setCookie] = Self.cookie(Self.loginCookie, formToken, maxAge: 3600, request: request)
        return response
    }

    func login(_ request: Request) async -> Response {
        do {
            guard let store = consoleStore else { throw ConsoleFailure(status: .notFound, message: "No console.") }
            let form = try await Self.form(request)
            guard let sent = form["csrf"], let cookie = request.cookies[Self.loginCookie]?.value,
                Self.sameSecret(sent, cookie)
            else {
                throw ConsoleFailure(
                    status: .forbidden, message: "The login form's security token is missing or stale: reload the page."
                )
            }
            // Guessing admin tokens is limited like activation tokens (1 per second, burst 10, all clients).
            if let wait = limits.activation.take("console-login") {
                throw ConsoleFailure(
                    status: .tooManyRequests, message: "Too many login attempts: wait \(Int(wait.rounded(.up)) + 1) s.")
            }
            guard let name = try await authenticate(form, store: store) else {
                let named = !(form["name"] ?? "").isEmpty
                return loginPage(
                    request, message: named ? "That name and password do not match." : "That admin token is not valid.")
            }
            let session = Identifier.newToken()
            let now = clock()
            try await store.createSession(
                tokenHash: Identifier.tokenHash(session), admin: name, csrf: Identifier.newToken(), now: now,
                expiresAt: now + Self.sessionSeconds)
            var response = ConsoleResponse.redirect("/console")
            response.headers[.setCookie] = Self.cookie(
                Self.sessionCookie, session, maxAge: Self.sessionSeconds, request: request)
            response.headers.append(
                HTTPField(name: .setCookie, value: Self.cookie(Self.loginCookie, "", maxAge: 0, request: request)))
            return response
        } catch {
            return await consoleError(error, request)
        }
    }

    /// The admin a login form names: by name and password (scrypt, compared in constant time; an unknown
    /// name costs the same derivation), or by admin token when the name is empty.
    func authenticate(_ form: [String: String], store: any ConsoleStore) async throws -> String? {
        guard let secret = form["token"], !secret.isEmpty, secret.utf8.count <= AdminPassword.maximumLength else {
            return nil
        }
        let name = form["name"] ?? ""
        if name.isEmpty { return try await store.admin(tokenHash: Identifier.tokenHash(secret)) }
        let stored = try await store.adminPasswordHash(name: name)
        let matches = try await OffLoop.run { AdminPassword.verify(secret, stored: stored) }
        return matches ? name : nil
    }

    func logout(_ request: Request) async -> Response {
        await consoleAction(request) { context, _ in
            try await context.store.deleteSession(
                tokenHash: context.tokenHash, admin: context.session.admin, now: clock())
            var response = ConsoleResponse.redirect("/console/login")
            response.headers[.setCookie] = Self.cookie(Self.sessionCookie, "", maxAge: 0, request: request)
            return response
        }
    }
}
