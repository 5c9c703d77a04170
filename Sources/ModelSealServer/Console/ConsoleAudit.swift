import Hummingbird

/// `/console/audit`: the audit log newest first, filtered by actor and/or action, keyset-paged on the
/// sequence number, with the chain's status from its incremental verification.
extension KeyServer {
    func auditPage(_ request: Request, _ context: ConsoleContext) async throws -> HTML {
        let parameters = request.uri.queryParameters
        func field(_ name: String) -> String? { parameters.get(name).flatMap { $0.isEmpty ? nil : $0 } }
        let query = AuditQuery(
            before: field("before").flatMap { Int64($0) }, actor: field("actor"), action: field("action"),
            limit: Self.pageSize)
        let entries = try await context.store.auditPage(query)
        let status = try await consoleAuditStatus(context)
        let rows: [HTML] = entries.map {
            """
            <tr><td class="num">\($0.sequence)</td><td>\(ConsoleFormat.time($0.at))</td><td><code>\($0.actor)</code></td>\
            <td><code>\($0.action)</code></td><td><code>\($0.subject)</code></td><td>\($0.detail)</td></tr>
            """
        }
        var extra = ""
        if let actor = query.actor { extra += "&actor=" + HTML.query(actor) }
        if let action = query.action { extra += "&action=" + HTML.query(action) }
        let body: HTML = """
            \(Self.auditStatus(status))
            <form class="filters" method="get" action="/console/audit">
            <label for="actor">Actor<input id="actor" name="actor" value="\(query.actor ?? "")" placeholder="admin:root"></label>
            <label for="action">Action<input id="action" name="action" value="\(query.action ?? "")" placeholder="key.release"></label>
            <button type="submit">Filter</button> <a href="/console/audit">Clear</a></form>
            <div class="table"><table><thead><tr><th class="num">#</th><th>Time</th><th>Actor</th><th>Action</th>\
            <th>Subject</th><th>Detail</th></tr></thead><tbody>\(rows)</tbody></table></div>
            \(ConsoleFormat.pager("/console/audit", key: "before", last: entries.last.map { String($0.sequence) }, full: entries.count == Self.pageSize, extra: extra))
            """
        return ConsoleResponse.layout("Audit log", context, body)
    }
}
