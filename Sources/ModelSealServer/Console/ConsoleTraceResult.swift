import ModelSealMark

/// The trace result page: accused customers with their evidence, or "nobody accused" said plainly.
extension KeyServer {
    static func traceResult(_ report: TraceReport, original: String) -> HTML {
        let accused: [HTML] = report.accused.map { candidate in
            """
            <tr><td class="accused">\(candidate.customer)</td><td>\(number(candidate.z))</td>\
            <td>\(number(candidate.zAll))</td><td>\(number(candidate.zTail))</td>\
            <td>\(bound(candidate.falsePositiveBound, log10: candidate.log10FalsePositiveBound))</td></tr>
            """
        }
        let verdict: HTML =
            report.accused.isEmpty
            ? """
            <p class="notice" id="verdict" role="status">Nobody accused: no issued customer's score reaches the threshold,
            and no Tier A mark spells one.
            The copy may be unmarked, marked for an id the registry does not list, or too altered to show a mark;
            this is not evidence of innocence.</p>
            """
            : """
            <p class="notice error" id="verdict" role="status">\(report.accused.count) customer(s) accused. Each
            bound is the probability that any innocent issued id is named this way by chance (Tier B: scores as high;
            Tier A: the permutations spell its fingerprint).</p>
            <div class="table"><table id="accused"><thead><tr><th>Customer</th><th>z</th><th>z (all)</th>\
            <th>z (tail)</th><th>False-positive bound</th></tr></thead><tbody>\(accused)</tbody></table></div>
            """
        let runnerUp: HTML =
            report.runnerUp.map { (candidate) -> HTML in
                "<p id=\"runner-up\">Runner-up (not accused): \(candidate.customer), z = \(number(candidate.z)).</p>"
            } ?? "<p id=\"runner-up\">No runner-up: every issued id was accused.</p>"
        let tierB = report.evidence.tierB
        let body: HTML = """
            <p>Model id <code>\(report.modelId)</code> against <code>\(original)</code>: \(report.issued) issued id(s)
            scored, \(report.tests) tests, accusation threshold z ≥ \(number(report.thresholdZ)) (family-wise
            false-positive bound \(bound(report.familyWiseFalsePositiveBound, log10: nil))).</p>
            \(verdict)
            \(runnerUp)
            <h2>Evidence</h2>
            <div class="table"><table><tbody>
            <tr><th>Tier B tensors marked / found in the suspect</th><td>\(tierB.tensorsMarked) / \(tierB.tensorsMatched) \
            (\(tierB.matchedByName) by name, \(tierB.matchedByShape) by shape, \(tierB.transposed) transposed)</td></tr>
            <tr><th>Weights sampled / scored (tail)</th><td>\(tierB.weightsSampled) / \(tierB.weightsScored) \
            (\(tierB.tailWeightsScored))</td></tr>
            <tr><th>Not found in the suspect</th><td>\(tierB.unmatched.prefix(20).joined(separator: ", "))</td></tr>
            <tr><th>Tier A</th><td>\(tierA(report.evidence.tierA))</td></tr>
            <tr><th>Ids not accused: count, mean and spread of z, highest z</th><td>\(report.null.count), \
            \(number(report.null.meanZAll)) ± \(number(report.null.stdZAll)), \(number(report.null.maxZ))</td></tr>
            </tbody></table></div>
            <p><a href="/console/trace">Trace another file</a></p>
            """
        return body
    }

    /// The Tier A evidence in words: no template, no code read, or the customer the code names.
    static func tierA(_ tierA: TraceReport.TierA) -> String {
        guard let template = tierA.template else { return "no Tier A template matches this model" }
        let aligned =
            "template \(template), \(tierA.slotsAligned)/\(tierA.slots) slot(s) aligned, "
            + "\(tierA.unitsMoved) unit(s) moved"
        guard tierA.decoded else { return aligned + "; no fingerprint read (\(tierA.invalidChunks) invalid chunk(s))" }
        let named = tierA.customer.map { "names \($0)" } ?? "names no issued id"
        return aligned + "; the code \(named) with \(tierA.symbolErrors) symbol error(s), false-positive bound "
            + bound(tierA.falsePositiveBound, log10: nil)
    }

    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "—" }
        return String((value * 100).rounded() / 100)
    }

    /// A probability; one too small for a `Double` is written as a power of ten from its logarithm.
    static func bound(_ value: Double, log10: Double?) -> String {
        if value > 0 { return value < 1e-3 ? "\(value)" : number(value) }
        guard let log10 else { return "< 1e-300" }
        return "10^\(Int(log10.rounded(.up)))"
    }
}
