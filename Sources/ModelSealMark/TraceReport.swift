/// What `trace` found (the `--json` schema, spec/MARK.md §6).
public struct TraceReport: Sendable, Encodable {
    /// One customer's evidence.
    public struct Candidate: Sendable, Encodable {
        public var customer: String
        /// max(z_all, z_tail).
        public var z: Double
        public var zAll: Double
        public var zTail: Double
        /// Family-wise probability that any innocent issued id scores this high: tests × exp(−z²/2), at most 1.
        public var falsePositiveBound: Double
        /// Its base-10 logarithm, which does not underflow (about −910,778 for z = 2048 and 20,000 tests).
        public var log10FalsePositiveBound: Double
    }

    /// Tier B's evidence: how much of the original was found and scored.
    public struct TierB: Sendable, Encodable {
        public var tensorsMarked: Int
        public var tensorsMatched: Int
        public var matchedByName: Int
        public var matchedByShape: Int
        public var transposed: Int
        public var unmatched: [String]
        public var segments: Int
        /// Elements in the subsample.
        public var weightsSampled: Int
        /// Of those, the ones scored (non-zero in the suspect, non-zero residual).
        public var weightsScored: Int
        public var tailWeightsScored: Int
    }

    /// The scores of the ids not accused: an empirical look at the null distribution.
    public struct NullScores: Sendable, Encodable {
        public var count: Int
        public var meanZAll: Double
        public var stdZAll: Double
        public var maxZ: Double
    }

    public struct Evidence: Sendable, Encodable {
        public var tierB: TierB
        public var tierA: String
    }

    public var schema = 1
    public var modelId: String
    public var issued: Int
    /// Statistics compared with the threshold: two per issued id.
    public var tests: Int
    public var thresholdZ: Double
    /// Probability that any innocent id is accused: tests × exp(−threshold²/2).
    public var familyWiseFalsePositiveBound: Double
    public var accused: [Candidate]
    public var runnerUp: Candidate?
    public var null: NullScores
    public var evidence: Evidence
}
