import ModelSealLicensing

/// How the console writes times and counts.
enum ConsoleFormat {
    /// `YYYY-MM-DD HH:MM UTC`.
    static func time(_ seconds: Int64?) -> String {
        guard let seconds else { return "—" }
        let text = LicenseTime.format(seconds)
        return String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(5)) + " UTC"
    }

    /// `YYYY-MM-DD` of a day number (days since 1970-01-01).
    static func day(_ day: Int64) -> String { String(LicenseTime.format(day * 86_400).prefix(10)) }

    /// The `YYYY-MM-DD` of a date field as the start of the next UTC day (a license "expiring 2027-12-31"
    /// is valid through that day, as `modelseal license` reads it), `nil` for an empty field.
    static func expiry(_ field: String?) throws -> Int64? {
        guard let field, !field.isEmpty else { return nil }
        guard let start = LicenseTime.parse(field), field.utf8.count == 10 else {
            throw ConsoleFailure(status: .badRequest, message: "The expiry date must be YYYY-MM-DD.")
        }
        return start + 86_400
    }

    /// The date field that shows an expiry (its last valid day).
    static func expiryField(_ seconds: Int64?) -> String {
        guard let seconds else { return "" }
        return String(LicenseTime.format(seconds - 1).prefix(10))
    }

    /// A whole-number field in `range`, `nil` when empty.
    static func integer(_ field: String?, _ name: String, in range: ClosedRange<Int64>) throws -> Int64? {
        guard let field, !field.isEmpty else { return nil }
        guard let value = Int64(field), range.contains(value) else {
            throw ConsoleFailure(
                status: .badRequest,
                message: "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound).")
        }
        return value
    }

    static func status(_ license: LicenseRecord, now: Int64) -> HTML {
        if license.revokedAt != nil { return "<span class=\"bad\">revoked</span>" }
        if let expiry = license.expiresAt, expiry <= now { return "<span class=\"bad\">expired</span>" }
        return "<span class=\"ok\">active</span>"
    }

    /// A "next page" link when the page was full (keyset paging: `after` is the last key shown).
    static func pager(_ path: String, key: String, last: String?, full: Bool, extra: String = "") -> HTML {
        guard full, let last else { return "" }
        return "<p class=\"pager\"><a href=\"\(path)?\(key)=\(HTML.query(last))\(extra)\">Next page</a></p>"
    }
}
