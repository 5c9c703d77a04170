import Hummingbird

/// `/console`: key releases per day for 30 days (a server-drawn SVG chart), active machines, refusals
/// by reason, licenses expiring within 30 days and the audit chain's status — all from the rollup
/// table and indexes, never a scan (docs/CONSOLE.md §Overview).
extension KeyServer {
    func overviewPage(_ context: ConsoleContext) async throws -> HTML {
        let now = clock()
        let today = now / 86_400
        let counts = try await context.store.dailyCounts(fromDay: today - 29)
        var releases = [Int64](repeating: 0, count: 30)
        var refusals: [String: Int64] = [:]
        for count in counts where count.day <= today {
            if count.kind == "release" {
                releases[Int(count.day - (today - 29))] += count.count
            } else if count.kind.hasPrefix("refused:") {
                refusals[String(count.kind.dropFirst(8)), default: 0] += count.count
            }
        }
        let active = try await context.store.activeMachineCount(seenSince: now - 30 * 86_400)
        let expiring = try await context.store.expiringLicenses(now: now, until: now + 30 * 86_400, limit: 20)
        let audit = try await consoleAuditStatus(context)
        let refusalRows: [HTML] = refusals.sorted { $0.value > $1.value }.map {
            "<tr><td><code>\($0.key)</code></td><td class=\"num\">\($0.value)</td></tr>"
        }
        let refusalTable: HTML =
            refusalRows.isEmpty
            ? "<p class=\"muted\">None.</p>"
            : """
            <div class="table"><table><thead><tr><th>Reason</th><th class="num">Count</th></tr></thead>
            <tbody>\(refusalRows)</tbody></table></div>
            """
        let body: HTML = """
            <div class="cards">
            <div class="card"><div class="muted">Key releases, 30 days</div><div class="value" id="releases-30">\(releases.reduce(0, +))</div></div>
            <div class="card"><div class="muted">Active machines (a release in 30 days)</div><div class="value" id="active-machines">\(active)</div></div>
            <div class="card"><div class="muted">Refusals, 30 days</div><div class="value">\(refusals.values.reduce(0, +))</div></div>
            </div>
            <h2 id="chart-title">Key releases per day (UTC)</h2>
            \(Self.chart(releases, firstDay: today - 29))
            <h2>Refusals by reason (30 days)</h2>
            \(refusalTable)
            <h2>Licenses expiring within 30 days</h2>
            \(Self.licenseTable(expiring, now: now))
            <h2>Audit chain</h2>
            \(Self.auditStatus(audit))
            """
        return ConsoleResponse.layout("Overview", context, body)
    }

    /// Bars drawn with attributes and classes only (the CSP forbids `style=`); each bar carries its
    /// day and count as a tooltip title and data attributes, and a table repeats them for screen readers.
    static func chart(_ values: [Int64], firstDay: Int64) -> HTML {
        let top = max(values.max() ?? 0, 1)
        let height: Int64 = 160
        var bars: [HTML] = []
        var cells: [HTML] = []
        for (index, value) in values.enumerated() {
            let barHeight = value == 0 ? 0 : max(2, value * height / top)
            let day = ConsoleFormat.day(firstDay + Int64(index))
            let x = 40 + index * 20
            bars.append(
                """
                <rect class="bar" x="\(x)" y="\(10 + height - barHeight)" width="16" height="\(barHeight)" \
                data-day="\(day)" data-count="\(value)"><title>\(day): \(value) release(s)</title></rect>
                """)
            cells.append("<tr><td>\(day)</td><td class=\"num\">\(value)</td></tr>")
        }
        let labels: HTML = """
            <text class="axis" x="40" y="190">\(ConsoleFormat.day(firstDay))</text>\
            <text class="axis" x="540" y="190">\(ConsoleFormat.day(firstDay + 29))</text>\
            <text class="axis" x="0" y="20">\(top)</text><text class="axis" x="0" y="170">0</text>
            """
        return """
            <svg class="chart" viewBox="0 0 640 200" role="img" aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg">
            <line class="base" x1="38" y1="170" x2="640" y2="170"></line>\(bars)\(labels)</svg>
            <details><summary>Numbers</summary><div class="table"><table class="daily"><thead><tr><th>Day</th><th class="num">Releases</th></tr></thead>
            <tbody>\(cells)</tbody></table></div></details>
            """
    }

    /// The recorded status; starts a background pass when entries are unverified.
    func consoleAuditStatus(_ context: ConsoleContext) async throws -> AuditVerification {
        let status = try await context.store.auditVerificationStatus()
        if status.brokenAt == nil && status.verifiedThrough < status.lastSequence {
            ConsoleAuditVerifier.shared.catchUp(context.store, clock: clock)
        }
        return status
    }

    static func auditStatus(_ audit: AuditVerification) -> HTML {
        if let broken = audit.brokenAt {
            return """
                <p class="notice error" role="alert" id="audit-status">The chain is broken at entry \(broken): \
                run <code>modelseal-server audit verify</code>.</p>
                """
        }
        return """
            <p class="notice" id="audit-status"><span class="ok">Verified</span> through entry \(audit.verifiedThrough) \
            of \(audit.lastSequence) (last incremental check \(ConsoleFormat.time(audit.checkedAt == 0 ? nil : audit.checkedAt)); \
            newer entries are verified in the background; the full check is <code>modelseal-server audit verify</code>).</p>
            """
    }

    static func licenseTable(_ listings: [LicenseListing], now: Int64) -> HTML {
        if listings.isEmpty { return "<p class=\"muted\">None.</p>" }
        let rows: [HTML] = listings.map {
            let license = $0.license
            let loads = license.maxLoads.map { "\(license.loads) / \($0)" } ?? "\(license.loads)"
            return """
                <tr><td><a href="/console/licenses/\(license.id)"><code>\(license.id)</code></a></td>\
                <td>\($0.customerName)</td><td>\($0.modelName)</td><td>\(license.policy.kind.rawValue)</td>\
                <td class="num">\(license.maxMachines)</td>\
                <td class="num">\(loads)</td><td>\(ConsoleFormat.time(license.expiresAt))</td>\
                <td>\(ConsoleFormat.status(license, now: now))</td></tr>
                """
        }
        return """
            <div class="table"><table><thead><tr><th>License</th><th>Customer</th><th>Model</th>\
            <th>Policy</th><th class="num">Machines</th><th class="num">Loads</th><th>Expires</th><th>Status</th></tr></thead>
            <tbody>\(rows)</tbody></table></div>
            """
    }
}
