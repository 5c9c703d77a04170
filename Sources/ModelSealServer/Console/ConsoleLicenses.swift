import Hummingbird
import ModelSealCore

/// `/console/licenses`: the keyset-paged list, the policy form that makes a license (its token shown
/// once), a license's page with its limits form and machines, and revocation behind a confirmation page.
extension KeyServer {
    func licensesPage(_ request: Request, _ context: ConsoleContext) async throws -> HTML {
        let after = request.uri.queryParameters.get("after")
        let licenses = try await context.store.licenseListings(after: after, customerID: nil, limit: Self.pageSize)
        let body: HTML = """
            <h2>New license</h2>
            \(try await licenseForm(context, customer: ""))
            <h2>Licenses</h2>
            \(Self.licenseTable(licenses, now: clock()))
            \(ConsoleFormat.pager("/console/licenses", key: "after", last: licenses.last?.license.id, full: licenses.count == Self.pageSize))
            """
        return ConsoleResponse.layout("Licenses", context, body)
    }

    /// The policy form: customer (made when new), model, machines, loads, expiry date, offline lease.
    func licenseForm(_ context: ConsoleContext, customer: String) async throws -> HTML {
        let models = try await store.models(after: nil, limit: 200)
        if models.isEmpty {
            return "<p class=\"muted\">Add a model first (<code>modelseal admin model add</code>).</p>"
        }
        let options: [HTML] = models.map { "<option value=\"\($0.name)\">\($0.name)</option>" }
        return """
            <form class="stack" method="post" action="/console/licenses">\(context.csrfField)
            <label for="customer">Customer (made if new)<input id="customer" name="customer" required maxlength="256" value="\(customer)"></label>
            <label for="model">Model<select id="model" name="model">\(options)</select></label>
            \(Self.limitFields(LicenseTerms(maxMachines: 1)))
            <button type="submit">Create license</button></form>
            """
    }

    static func limitFields(_ terms: LicenseTerms) -> HTML {
        """
        <label for="max_machines">Machines at once<input id="max_machines" name="max_machines" type="number" min="1" max="1000000" required value="\(terms.maxMachines)"></label>
        <label for="max_loads">Key releases in all (empty: unlimited)<input id="max_loads" name="max_loads" type="number" min="0" value="\(terms.maxLoads.map(String.init) ?? "")"></label>
        <label for="expires">Last valid day, UTC (empty: never)<input id="expires" name="expires" type="date" value="\(ConsoleFormat.expiryField(terms.expiresAt))"></label>
        <label for="lease_hours">Offline lease, hours<input id="lease_hours" name="lease_hours" type="number" min="0" max="8784" required value="\(terms.leaseSeconds / 3600)"></label>
        """
    }

    static func terms(_ form: [String: String]) throws -> LicenseTerms {
        LicenseTerms(
            maxMachines: try ConsoleFormat.integer(form["max_machines"], "Machines", in: 1...1_000_000) ?? 1,
            maxLoads: try ConsoleFormat.integer(form["max_loads"], "Key releases", in: 0...(1 << 53)),
            expiresAt: try ConsoleFormat.expiry(form["expires"]),
            leaseSeconds: (try ConsoleFormat.integer(form["lease_hours"], "Offline lease", in: 0...8784) ?? 24) * 3600)
    }

    /// Makes the license through the admin API's own code path and shows the token once.
    func addLicenseAction(_ context: ConsoleContext, _ form: [String: String]) async throws -> Response {
        let terms = try Self.terms(form)
        var fields: JSONObject = [
            ("customer", .string(form["customer"] ?? "")), ("model", .string(form["model"] ?? "")),
            ("max_machines", .integer(terms.maxMachines)), ("lease_seconds", .integer(terms.leaseSeconds)),
        ]
        if let loads = terms.maxLoads { fields.append(("max_loads", .integer(loads))) }
        if let expiry = terms.expiresAt { fields.append(("expires_at", .integer(expiry))) }
        let made = try await addLicense(.object(fields), actor: context.session.admin)
        let id = made["id"]?.stringValue ?? ""
        let body: HTML = """
            <p class="notice">License <a href="/console/licenses/\(id)"><code>\(id)</code></a> was made. Its activation
            token is shown only now: send it to the customer (it goes in the file <code>modelseal activate --token-file</code> reads).</p>
            <p class="token" id="license-token">\(made["token"]?.stringValue ?? "")</p>
            <p><a href="/console/licenses/\(id)">Open the license</a></p>
            """
        return ConsoleResponse.html(ConsoleResponse.layout("License made", context, body), status: .created)
    }
}
