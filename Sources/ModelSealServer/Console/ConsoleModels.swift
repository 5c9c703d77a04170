import Hummingbird

/// `/console/models` (keyset-paged) and `/console/models/ID` (its versions: the sealed files' ids).
extension KeyServer {
    func modelsPage(_ request: Request, _ context: ConsoleContext) async throws -> HTML {
        let after = request.uri.queryParameters.get("after")
        let models = try await store.models(after: after, limit: Self.pageSize)
        let rows: [HTML] = models.map {
            """
            <tr><td><a href="/console/models/\($0.id)">\($0.name)</a></td><td><code>\($0.id)</code></td>\
            <td>\(ConsoleFormat.time($0.createdAt))</td></tr>
            """
        }
        let body: HTML = """
            <p class="muted">Models and their versions are added with <code>modelseal admin model add</code>, which wraps
            each file key to the server's intake key (the console never sees a file key).</p>
            <div class="table"><table><thead><tr><th>Name</th><th>Id</th><th>Added</th></tr></thead>
            <tbody>\(rows)</tbody></table></div>
            \(ConsoleFormat.pager("/console/models", key: "after", last: models.last?.id, full: models.count == Self.pageSize))
            """
        return ConsoleResponse.layout("Models", context, body)
    }

    func modelPage(_ id: String, _ context: ConsoleContext) async throws -> HTML {
        guard let model = try await store.model(id: id) else {
            throw ConsoleFailure(status: .notFound, message: "No model \(id).")
        }
        let versions = try await store.versions(modelID: model.id)
        let rows: [HTML] = versions.map {
            "<tr><td><code>\($0.fileID)</code></td><td>\(ConsoleFormat.time($0.createdAt))</td></tr>"
        }
        let body: HTML = """
            <p>Id <code>\(model.id)</code>, added \(ConsoleFormat.time(model.createdAt)).</p>
            <h2>Versions (sealed files)</h2>
            <div class="table"><table><thead><tr><th>File id</th><th>Added</th></tr></thead>
            <tbody>\(rows)</tbody></table></div>
            """
        return ConsoleResponse.layout("Model " + model.name, context, body)
    }
}
