import Hummingbird

/// `/console/licenses/ID`: the license, its limits form, its machines (last release, lease expiry,
/// deactivate) and the way to revoke it.
extension KeyServer {
    func licensePage(_ id: String, _ request: Request, _ context: ConsoleContext) async throws -> HTML {
        guard let listing = try await context.store.licenseListing(id: id) else {
            throw ConsoleFailure(status: .notFound, message: "No license \(id).")
        }
        let license = listing.license
        let now = clock()
        let after = request.uri.queryParameters.get("after")
        let machines = try await context.store.machineActivity(licenseID: id, after: after, limit: Self.pageSize)
        var terms = LicenseTerms(
            maxMachines: license.maxMachines, maxLoads: license.maxLoads, expiresAt: license.expiresAt,
            leaseSeconds: license.leaseSeconds)
        terms.policy = license.policy
        let revoke: HTML =
            license.revokedAt == nil
            ? "<p><a class=\"bad\" href=\"/console/licenses/\(id)/revoke\">Revoke this license…</a></p>"
            : "<p class=\"bad\">Revoked at \(ConsoleFormat.time(license.revokedAt)).</p>"
        let body: HTML = """
            <p>Customer <a href="/console/customers/\(license.customerID)">\(listing.customerName)</a>, model
            <a href="/console/models/\(license.modelID)">\(listing.modelName)</a>, status \(ConsoleFormat.status(license, now: now)),
            made \(ConsoleFormat.time(license.createdAt)), key releases counted: <span id="loads">\(license.loads)</span>.</p>
            <p id="policy-summary">\(Self.policySummary(terms))</p>
            \(revoke)
            <h2>Machines</h2>
            \(Self.machineTable(machines, context: context, now: now))
            \(ConsoleFormat.pager("/console/licenses/\(id)", key: "after", last: machines.last?.machine.id, full: machines.count == Self.pageSize))
            <h2>Limits</h2>
            <form class="stack" method="post" action="/console/licenses/\(id)/limits">\(context.csrfField)
            \(Self.limitFields(terms))
            <button type="submit">Save limits</button></form>
            """
        return ConsoleResponse.layout("License " + id, context, body)
    }

    /// One sentence: how the license counts machines and what it meters.
    static func policySummary(_ terms: LicenseTerms) -> String {
        let policy = terms.policy
        var parts = [
            policy.kind == .floating
                ? "Floating: at most \(terms.maxMachines) machine(s) hold a seat at once; a seat lasts "
                    + "\(minutes(terms.leaseSeconds)) after its last release or heartbeat"
                : "Node-locked: at most \(terms.maxMachines) machine(s) activated at once"
        ]
        if let day = policy.maxLoadsPerDay { parts.append("\(day) key release(s) per UTC day") }
        if let month = policy.maxLoadsPerMonth { parts.append("\(month) per UTC month") }
        parts.append("offline grace \(minutes(policy.graceSeconds ?? terms.leaseSeconds))")
        if policy.cooldownSeconds > 0 {
            parts.append("a deactivated machine's slot is held \(minutes(policy.cooldownSeconds))")
        }
        return parts.joined(separator: "; ") + "."
    }

    private static func minutes(_ seconds: Int64) -> String { "\(seconds / 60) min" }

    static func machineTable(_ machines: [MachineActivity], context: ConsoleContext, now: Int64) -> HTML {
        if machines.isEmpty { return "<p class=\"muted\">No machine has activated this license.</p>" }
        let rows: [HTML] = machines.map {
            let machine = $0.machine
            let action: HTML
            if machine.revokedAt != nil {
                action = "<span class=\"bad\">deactivated \(ConsoleFormat.time(machine.revokedAt))</span>"
            } else if machine.deactivatedAt != nil {
                action =
                    "<span class=\"muted\">deactivated by the customer \(ConsoleFormat.time(machine.deactivatedAt))</span>"
            } else {
                action = """
                    <form class="inline" method="post" action="/console/machines/\(machine.id)/deactivate">\(context.csrfField)\
                    <button class="danger" type="submit">Deactivate</button></form>
                    """
            }
            let seat = machine.seatExpiresAt.flatMap { $0 > now ? ConsoleFormat.time($0) : nil } ?? "—"
            return """
                <tr><td><code>\(machine.id)</code></td><td>\(machine.label)</td><td>\(ConsoleFormat.time(machine.activatedAt))</td>\
                <td>\(ConsoleFormat.time($0.lastSeenAt))</td><td>\(ConsoleFormat.time($0.leaseExpiresAt))</td>\
                <td class="seat">\(seat)</td><td>\(action)</td></tr>
                """
        }
        return """
            <div class="table"><table><thead><tr><th>Machine</th><th>Label</th><th>Activated</th><th>Last release</th>\
            <th>Lease expires</th><th>Floating seat until</th><th></th></tr></thead><tbody>\(rows)</tbody></table></div>
            """
    }

    func revokeConfirmPage(_ id: String, _ context: ConsoleContext) async throws -> HTML {
        guard let listing = try await context.store.licenseListing(id: id) else {
            throw ConsoleFailure(status: .notFound, message: "No license \(id).")
        }
        let body: HTML = """
            <p class="notice error">Revoking license <code>\(id)</code> of \(listing.customerName) for \(listing.modelName)
            refuses every later key release and activation on it. Keys already released keep opening the files they
            were released for on the machines that hold them. This cannot be undone.</p>
            <form method="post" action="/console/licenses/\(id)/revoke">\(context.csrfField)
            <button class="danger" type="submit">Revoke license</button> <a href="/console/licenses/\(id)">Cancel</a></form>
            """
        return ConsoleResponse.layout("Revoke license?", context, body)
    }

    func revokeAction(_ id: String, _ context: ConsoleContext) async throws -> Response {
        try await store.revokeLicense(id: id, actor: context.actor, now: clock())
        return ConsoleResponse.redirect("/console/licenses/" + id)
    }

    func limitsAction(_ id: String, _ context: ConsoleContext, _ form: [String: String]) async throws -> Response {
        try await context.store.updateLicenseLimits(
            id: id, terms: try Self.terms(form), actor: context.actor, now: clock())
        return ConsoleResponse.redirect("/console/licenses/" + id)
    }

    func deactivateAction(_ id: String, _ context: ConsoleContext, _ form: [String: String]) async throws -> Response {
        guard let machine = try await store.machine(id: id) else {
            throw ConsoleFailure(status: .notFound, message: "No machine \(id).")
        }
        try await store.revokeMachine(id: id, actor: context.actor, now: clock())
        return ConsoleResponse.redirect("/console/licenses/" + machine.licenseID)
    }
}
