import ModelSealCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What to trace against: the vendor's secret, the model id, the issued customer ids.
public struct TraceRequest: Sendable {
    public var secret: [UInt8]
    public var modelID: String
    public var customers: [String]
    public var parameters: MarkParameters
    /// Family-wise probability of accusing any innocent that the threshold guarantees.
    public var falsePositiveTarget: Double
    public var maxElements: Int

    public init(
        secret: [UInt8], modelID: String, customers: [String], parameters: MarkParameters = MarkParameters(),
        falsePositiveTarget: Double = 1e-9, maxElements: Int = TraceSubsample.maxElements
    ) {
        self.secret = secret
        self.modelID = modelID
        self.customers = customers
        self.parameters = parameters
        self.falsePositiveTarget = falsePositiveTarget
        self.maxElements = maxElements
    }
}

/// Names the customers whose Tier B pattern is in a suspect copy (spec/MARK.md §4–§5).
public enum Tracer {
    public static func trace(original: WeightFile, suspect: WeightFile, _ request: TraceRequest) throws -> TraceReport {
        try MarkKey.check(secret: request.secret)
        try MarkKey.check(id: request.modelID, what: "model id")
        var seen: Set<String> = []
        let customers = request.customers.filter { seen.insert($0).inserted }
        guard !customers.isEmpty else { throw MarkError.invalidRequest("no issued customer id to score") }
        let marked = original.tensors.filter {
            request.parameters.marks(dtype: $0.markDType, shape: $0.shape) && $0.fileRange != nil && !$0.sharesStorage
        }
        let template = TierATemplates.slots(original.tensors)
        let (matches, alignment) = try match(marked, template: template, original: original, suspect: suspect)
        let matchedIndexes = marked.indices.filter { matches[$0] != nil }
        let segments = TraceSubsample.select(
            tensors: matchedIndexes.map { (marked[$0].name, marked[$0].elementCount) }, secret: request.secret,
            modelID: request.modelID, maxElements: request.maxElements)
        let bits = try evidence(
            segments: segments, tensors: matchedIndexes.map { marked[$0] }, matches: matchedIndexes.map { matches[$0] },
            maps: matchedIndexes.map { alignment?.maps[marked[$0].name] }, original: original, suspect: suspect)
        let nonces = matchedIndexes.map { MarkKey.nonce(tensor: marked[$0].name) }
        let scores = try Parallel.map(customers.count) { (index: Int) throws -> CustomerScore in
            let key = try MarkKey(secret: request.secret, modelID: request.modelID, customer: customers[index])
            return try CustomerScore.score(
                customer: customers[index], key: key, segments: segments, bits: bits, nonces: nonces)
        }
        let tierB = TraceReport.TierB(
            tensorsMarked: marked.count, tensorsMatched: matches.count,
            matchedByName: matches.values.filter(\.byName).count,
            matchedByShape: matches.values.filter { !$0.byName }.count,
            transposed: matches.values.filter(\.transposed).count,
            unmatched: marked.indices.filter { matches[$0] == nil }.map { marked[$0].name },
            dequantized: matchedIndexes.compactMap { index in
                matches[index]?.suspect.quantized.map { "\($0.name): \($0.layout)" }
            },
            segments: segments.count, weightsSampled: segments.reduce(0) { $0 + $1.count },
            weightsScored: bits.reduce(0) { $0 + $1.validCount },
            tailWeightsScored: bits.reduce(0) { $0 + $1.tailCount })
        let tierA = try tierAEvidence(template: template, alignment: alignment, request: request, customers: customers)
        return report(scores: scores, request: request, tierB: tierB, tierA: tierA)
    }

    /// Where each marked tensor is in the suspect (by name, by shape and correlation, then by Tier A's alignment
    /// for renamed and permuted tensors), and the alignment of the template's slots.
    static func match(
        _ marked: [WeightTensor], template: (template: String, slots: [PermutationSlot])?, original: WeightFile,
        suspect: WeightFile
    ) throws -> (matches: [Int: TensorMatch], alignment: TierAAlignment?) {
        let names = Set(marked.map(\.name))
        let edges = Set(template?.slots.flatMap { $0.edges.map(\.tensor) } ?? [])
        let features = original.tensors.filter {
            edges.contains($0.name) && !names.contains($0.name) && $0.shape.count >= 2 && $0.markDType != nil
                && $0.fileRange != nil
        }
        let all = marked + features
        var byName: [String: TensorMatch] = [:]
        for (index, match) in try TensorMatcher.match(all, original: original, suspect: suspect) {
            byName[all[index].name] = match
        }
        let alignment = try template.map {
            try TierAAlignment.align(slots: $0.slots, original: original, suspect: suspect, matches: byName)
        }
        let found = alignment?.matches ?? byName
        var matches: [Int: TensorMatch] = [:]
        for (index, tensor) in marked.enumerated() { matches[index] = found[tensor.name] }
        return (matches, alignment)
    }

    /// Tier A's evidence: the recovered permutations decoded, and the issued id whose fingerprint they carry.
    static func tierAEvidence(
        template: (template: String, slots: [PermutationSlot])?, alignment: TierAAlignment?, request: TraceRequest,
        customers: [String]
    ) throws -> TraceReport.TierA {
        guard let template, let alignment else { return TraceReport.TierA(template: nil, issued: customers.count) }
        let decoded = TierACode.decode(alignment.recovered, slots: template.slots)
        var evidence = TraceReport.TierA(template: template.template, issued: customers.count)
        evidence.slots = template.slots.count
        evidence.slotsAligned = alignment.recovered.filter { $0 != nil }.count
        evidence.unitsMoved = alignment.unitsMoved
        evidence.chunks = TierACode.chunkCount(template.slots)
        evidence.codeLength = decoded.codeLength
        evidence.decoded = decoded.fingerprint != nil
        evidence.symbolErrors = decoded.symbolErrors
        evidence.invalidChunks = decoded.invalidChunks
        if let fingerprint = decoded.fingerprint {
            let fingerprints = try Parallel.map(customers.count) { (index: Int) throws -> [UInt8] in
                try TierACode.fingerprint(secret: request.secret, modelID: request.modelID, customer: customers[index])
            }
            let named = customers.indices.filter { fingerprints[$0] == fingerprint }
            // Two issued ids with one fingerprint (a 64-bit collision) name neither.
            evidence.customer = named.count == 1 ? customers[named[0]] : nil
        }
        return evidence
    }

    /// Residual bits of every segment: each reads only the rows it touches, of both files (of a transposed
    /// suspect tensor, one short run per stored row).
    static func evidence(
        segments: [TraceSegment], tensors: [WeightTensor], matches: [TensorMatch?], maps: [IndexMaps?],
        original: WeightFile, suspect: WeightFile
    ) throws -> [ResidualBits] {
        try Parallel.map(segments.count) { (item: Int) throws -> ResidualBits in
            let segment = segments[item]
            guard let match = matches[segment.tensor] else {
                throw MarkError.invalidRequest("internal: a segment of an unmatched tensor")
            }
            let tensor = tensors[segment.tensor]
            let columns = tensor.elementCount / max(1, tensor.shape[0])
            let firstRow = segment.first / columns
            let rows = (segment.first + segment.count - 1) / columns - firstRow + 1
            let window = (firstRow * columns)..<((firstRow + rows) * columns)
            let o = try original.floats(tensor, elements: window)
            let x: [Float]
            if let map = maps[segment.tensor], !match.transposed {
                x = try aligned(suspect: suspect, tensor: match.suspect, map: map, rows: firstRow..<(firstRow + rows))
            } else if match.transposed {
                // Stored as [columns, rows]: the window's rows are a short run in each stored row.
                let total = tensor.shape[0]
                var gathered = [Float](repeating: 0, count: window.count)
                for column in 0..<columns {
                    let run = try suspect.floats(
                        match.suspect, elements: (column * total + firstRow)..<(column * total + firstRow + rows))
                    for (row, value) in run.enumerated() { gathered[row * columns + column] = value }
                }
                x = gathered
            } else {
                x = try suspect.floats(match.suspect, elements: window)
            }
            var local = segment
            local.first -= window.lowerBound
            return ResidualBits.make(original: o, suspect: x, columns: columns, segment: local)
        }
    }

    /// The suspect's elements at the original's rows `rows`, read through Tier A's index maps.
    static func aligned(suspect: WeightFile, tensor: WeightTensor, map: IndexMaps, rows: Range<Int>) throws -> [Float] {
        let columns = tensor.elementCount / max(1, tensor.shape[0])
        var output = [Float](repeating: 0, count: rows.count * columns)
        for (offset, row) in rows.enumerated() {
            let from = map.rows?[row] ?? row
            let values = try suspect.floats(tensor, elements: (from * columns)..<((from + 1) * columns))
            for column in 0..<columns { output[offset * columns + column] = values[map.columns?[column] ?? column] }
        }
        return output
    }

    /// The accusation (spec/MARK.md §5, §8.5): an id is accused when its Tier B score reaches the threshold or
    /// Tier A's decoded fingerprint is its own. The family-wise target is shared: Tier A's n·2⁻⁶⁴ when a
    /// template applies, Tier B's threshold the rest.
    static func report(
        scores: [CustomerScore], request: TraceRequest, tierB: TraceReport.TierB, tierA: TraceReport.TierA
    ) -> TraceReport {
        let tests = 2 * scores.count
        let tierAShare = tierA.template == nil ? 0 : tierA.falsePositiveBound
        let threshold = HoeffdingThreshold.z(tests: tests, target: request.falsePositiveTarget - tierAShare)
        func candidate(_ score: CustomerScore) -> TraceReport.Candidate {
            var tiers: [String] = []
            if tierA.customer == score.customer { tiers.append("A") }
            if score.z >= threshold { tiers.append("B") }
            var bound = HoeffdingThreshold.familyWiseBound(z: score.z, tests: tests)
            var log10Bound = HoeffdingThreshold.log10FamilyWiseBound(z: score.z, tests: tests)
            if tiers.contains("A") && (tiers == ["A"] || tierA.falsePositiveBound < bound) {
                bound = tierA.falsePositiveBound
                log10Bound = log10(bound)
            }
            return TraceReport.Candidate(
                customer: score.customer, z: score.z, zAll: score.zAll, zTail: score.zTail, tiers: tiers,
                falsePositiveBound: bound, log10FalsePositiveBound: log10Bound)
        }
        let ranked = scores.sorted { $0.z > $1.z }
        let isAccused = { (score: CustomerScore) in score.z >= threshold || score.customer == tierA.customer }
        let accused = ranked.filter(isAccused)
        let others = ranked.filter { !isAccused($0) }
        let mean = others.isEmpty ? 0 : others.reduce(0) { $0 + $1.zAll } / Double(others.count)
        let variance =
            others.count > 1
            ? others.reduce(0) { $0 + ($1.zAll - mean) * ($1.zAll - mean) } / Double(others.count - 1) : 0
        return TraceReport(
            modelId: request.modelID, issued: scores.count, tests: tests, thresholdZ: threshold,
            familyWiseFalsePositiveBound: HoeffdingThreshold.familyWiseBound(z: threshold, tests: tests) + tierAShare,
            accused: accused.map(candidate), runnerUp: others.first.map(candidate),
            null: TraceReport.NullScores(
                count: others.count, meanZAll: mean, stdZAll: variance.squareRoot(), maxZ: others.first?.z ?? 0),
            evidence: TraceReport.Evidence(tierB: tierB, tierA: tierA))
    }
}
