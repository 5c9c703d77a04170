import HTTPTypes
import Hummingbird

/// Console responses: every one carries the Content-Security-Policy (no inline script or style at
/// all), `nosniff`, no referrer, no framing and no caching (docs/CONSOLE.md §Security).
enum ConsoleResponse {
    static let policy =
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        + "base-uri 'none'"

    static func secured(_ status: HTTPResponse.Status, contentType: String, body: String) -> Response {
        var headers: HTTPFields = [.contentType: contentType]
        headers[.contentSecurityPolicy] = policy
        headers[.xContentTypeOptions] = "nosniff"
        headers[.cacheControl] = "no-store"
        if let referrer = HTTPField.Name("Referrer-Policy") { headers[referrer] = "no-referrer" }
        if let frames = HTTPField.Name("X-Frame-Options") { headers[frames] = "DENY" }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    static func html(_ page: HTML, status: HTTPResponse.Status = .ok) -> Response {
        secured(status, contentType: "text/html; charset=utf-8", body: page.text)
    }

    /// 303 See Other: after a form post the browser loads `location` with GET.
    static func redirect(_ location: String) -> Response {
        var response = secured(.seeOther, contentType: "text/plain; charset=utf-8", body: "")
        response.headers[.location] = location
        return response
    }

    static let stylesheet: Response = {
        var headers: HTTPFields = [.contentType: "text/css; charset=utf-8"]
        headers[.xContentTypeOptions] = "nosniff"
        headers[.cacheControl] = "max-age=3600"
        return Response(
            status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: ConsoleCSS.text)))
    }()

    /// The page frame: navigation, the logout form (with its CSRF field) and the content.
    static func layout(_ title: String, _ context: ConsoleContext?, _ body: HTML) -> HTML {
        let navigation: HTML =
            if let context {
                """
                <header><nav aria-label="Console"><a href="/console">Overview</a><a href="/console/customers">Customers</a>\
                <a href="/console/models">Models</a><a href="/console/licenses">Licenses</a>\
                <a href="/console/audit">Audit log</a><a href="/console/trace">Trace</a></nav>\
                <form method="post" action="/console/logout">\(context.csrfField)\
                <button type="submit">Log out \(context.session.admin)</button></form></header>
                """
            } else {
                "<header><span>ModelSeal console</span></header>"
            }
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · ModelSeal console</title>
            <link rel="stylesheet" href="/console/static/console.css"></head>
            <body><a class="skip" href="#main">Skip to content</a>
            \(navigation)
            <main id="main"><h1>\(title)</h1>
            \(body)
            </main></body></html>
            """
    }
}
