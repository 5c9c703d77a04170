/// What `trace` found (the `--json` schema, spec/MARK.md §6).
public struct TraceReport: Sendable, Encodable {
    /// One customer's evidence.
    public struct Candidate: Sendable, Encodable {
        public var customer: String
        /// max(z_all, z_tail).
        public var z: Double
        public var zAll: Double
        public var zTail: Double
        /// The tiers that name this id: "A" (Tier A's decoded fingerprint is its own), "B" (z reaches the
        /// threshold); empty for the runner-up.
        public var tiers: [String]
        /// Family-wise probability that any innocent issued id is named this way: tests × exp(−z²/2) (at most 1)
        /// for Tier B, issued × 2⁻⁶⁴ for Tier A, the smaller when both name it.
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
        /// Matched suspect tensors stored as integers and read back as floats: "name: layout".
        public var dequantized: [String]
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

    /// Tier A's evidence (spec/MARK.md §8.5): the permutations recovered by aligning the suspect to the
    /// original, decoded. `customer` is the issued id whose fingerprint the permutations carry; an innocent
    /// id's fingerprint is 64 bits independent of the suspect, so the chance that any of `issued` ids is named
    /// wrongly is at most `issued × 2⁻⁶⁴` (`false_positive_bound`).
    public struct TierA: Sendable, Encodable {
        /// The built-in template that matched the original (`torchvision-resnet`, `gpt2`, `bert`), or nil.
        public var template: String?
        public var slots = 0
        public var slotsAligned = 0
        public var unitsMoved = 0
        public var chunks = 0
        public var codeLength = 0
        /// The Reed–Solomon decoding succeeded (a fingerprint was read, issued or not).
        public var decoded = false
        public var customer: String?
        public var symbolErrors = 0
        public var invalidChunks = 0
        public var falsePositiveBound: Double

        init(template: String?, issued: Int) {
            self.template = template
            falsePositiveBound = Double(issued) * 0x1p-64
        }

        enum CodingKeys: String, CodingKey {
            case template, slots, slotsAligned, unitsMoved, chunks, codeLength, decoded, customer, symbolErrors
            case invalidChunks, falsePositiveBound
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(template, forKey: .template)
            try container.encode(slots, forKey: .slots)
            try container.encode(slotsAligned, forKey: .slotsAligned)
            try container.encode(unitsMoved, forKey: .unitsMoved)
            try container.encode(chunks, forKey: .chunks)
            try container.encode(codeLength, forKey: .codeLength)
            try container.encode(decoded, forKey: .decoded)
            try container.encode(customer, forKey: .customer)
            try container.encode(symbolErrors, forKey: .symbolErrors)
            try container.encode(invalidChunks, forKey: .invalidChunks)
            try container.encode(falsePositiveBound, forKey: .falsePositiveBound)
        }
    }

    public struct Evidence: Sendable, Encodable {
        public var tierB: TierB
        public var tierA: TierA
    }

    public var schema = 1
    public var modelId: String
    public var issued: Int
    /// Statistics compared with the threshold: two per issued id.
    public var tests: Int
    public var thresholdZ: Double
    /// Probability that any innocent id is accused: tests × exp(−threshold²/2), plus issued × 2⁻⁶⁴ when a
    /// Tier A template applies.
    public var familyWiseFalsePositiveBound: Double
    public var accused: [Candidate]
    public var runnerUp: Candidate?
    public var null: NullScores
    public var evidence: Evidence
}
