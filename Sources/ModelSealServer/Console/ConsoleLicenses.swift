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

    /// The policy form: customer (made when new), model, then `limitFields`.
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

    /// The license's terms and policy (docs/SERVER.md §Policies) as form fields; times in minutes.
    static func limitFields(_ terms: LicenseTerms) -> HTML {
        let policy = terms.policy
        let kinds: [HTML] = LicensePolicy.Kind.allCases.map {
            let label =
                $0 == .floating ? "floating: machines share live seats" : "node-locked: a slot per activated machine"
            return "<option value=\"\($0.rawValue)\"\(policy.kind == $0 ? " selected" : "")>\(label)</option>"
        }
        return """
            <label for="policy">Policy<select id="policy" name="policy">\(kinds)</select></label>
            <label for="max_machines">Machines (node-locked: activated at once; floating: seats at once)<input id="max_machines" name="max_machines" type="number" min="1" max="1000000" required value="\(terms.maxMachines)"></label>
            <label for="max_loads">Key releases in all (empty: unlimited)<input id="max_loads" name="max_loads" type="number" min="0" value="\(optional(terms.maxLoads))"></label>
            <label for="max_loads_per_day">Key releases per UTC day (empty: unlimited)<input id="max_loads_per_day" name="max_loads_per_day" type="number" min="0" value="\(optional(policy.maxLoadsPerDay))"></label>
            <label for="max_loads_per_month">Key releases per UTC month (empty: unlimited)<input id="max_loads_per_month" name="max_loads_per_month" type="number" min="0" value="\(optional(policy.maxLoadsPerMonth))"></label>
            <label for="expires">Last valid day, UTC (empty: never)<input id="expires" name="expires" type="date" value="\(ConsoleFormat.expiryField(terms.expiresAt))"></label>
            <label for="lease_minutes">Lease, minutes (a floating seat's TTL; how long a release is cached)<input id="lease_minutes" name="lease_minutes" type="number" min="0" max="\(maxMinutes)" required value="\(terms.leaseSeconds / 60)"></label>
            <label for="grace_minutes">Offline grace after a network error, minutes (empty: the lease)<input id="grace_minutes" name="grace_minutes" type="number" min="0" max="\(maxMinutes)" value="\(optional(policy.graceSeconds.map { $0 / 60 }))"></label>
            <label for="cooldown_minutes">Slot held after a customer deactivates, minutes<input id="cooldown_minutes" name="cooldown_minutes" type="number" min="0" max="\(maxMinutes)" required value="\(policy.cooldownSeconds / 60)"></label>
            """
    }

    /// 366 days: the longest lease, grace and cooldown the admin API takes.
    static let maxMinutes: Int64 = 366 * 1440

    private static func optional(_ value: Int64?) -> String { value.map(String.init) ?? "" }

    static func terms(_ form: [String: String]) throws -> LicenseTerms {
        guard let kind = LicensePolicy.Kind(rawValue: form["policy"] ?? LicensePolicy.Kind.nodeLocked.rawValue) else {
            throw ConsoleFailure(status: .badRequest, message: "Policy is node-locked or floating.")
        }
        let minutes = 0...maxMinutes
        var terms = LicenseTerms(
            maxMachines: try ConsoleFormat.integer(form["max_machines"], "Machines", in: 1...1_000_000) ?? 1,
            maxLoads: try ConsoleFormat.integer(form["max_loads"], "Key releases", in: 0...(1 << 53)),
            expiresAt: try ConsoleFormat.expiry(form["expires"]),
            leaseSeconds: (try ConsoleFormat.integer(form["lease_minutes"], "Lease", in: minutes) ?? 1440) * 60)
        terms.policy = LicensePolicy(
            kind: kind,
            maxLoadsPerDay: try ConsoleFormat.integer(form["max_loads_per_day"], "Releases per day", in: 0...(1 << 53)),
            maxLoadsPerMonth: try ConsoleFormat.integer(
                form["max_loads_per_month"], "Releases per month", in: 0...(1 << 53)),
            graceSeconds: try ConsoleFormat.integer(form["grace_minutes"], "Offline grace", in: minutes).map {
                $0 * 60
            },
            cooldownSeconds: (try ConsoleFormat.integer(form["cooldown_minutes"], "Cooldown", in: minutes) ?? 0) * 60)
        if let problem = terms.policy.problem(leaseSeconds: terms.leaseSeconds) {
            throw ConsoleFailure(status: .badRequest, message: "The lease is 0 minutes: " + problem + ".")
        }
        return terms
    }

    /// Makes the license through the admin API's own code path and shows the token once.
    func addLicenseAction(_ context: ConsoleContext, _ form: [String: String]) async throws -> Response {
        let terms = try Self.terms(form)
        let policy = terms.policy
        var fields: JSONObject = [
            ("customer", .string(form["customer"] ?? "")), ("model", .string(form["model"] ?? "")),
            ("max_machines", .integer(terms.maxMachines)), ("lease_seconds", .integer(terms.leaseSeconds)),
            ("policy", .string(policy.kind.rawValue)), ("cooldown_seconds", .integer(policy.cooldownSeconds)),
        ]
        let optional: [(String, Int64?)] = [
            ("max_loads", terms.maxLoads), ("expires_at", terms.expiresAt),
            ("max_loads_per_day", policy.maxLoadsPerDay),
            ("max_loads_per_month", policy.maxLoadsPerMonth), ("grace_seconds", policy.graceSeconds),
        ]
        for (name, value) in optional { if let value { fields.append((name, .integer(value))) } }
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
