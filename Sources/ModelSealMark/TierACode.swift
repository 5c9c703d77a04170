import Crypto

/// How Tier A writes a customer into permutations (spec/MARK.md §8.2–§8.4): the customer's 8-byte
/// fingerprint is Reed–Solomon coded into `L` symbols; every run of 6 consecutive units of a slot (a
/// "chunk") carries one symbol as the permutation of its 6 units whose rank (factorial number system) is
/// the symbol; chunk `j` (counted over all slots in order) carries symbol `j mod L`, `L = min(255, chunks)`.
public enum TierACode {
    /// Units per chunk (6! = 720 ≥ 256 permutations).
    public static let chunkUnits = 6
    /// Bytes of a customer's fingerprint (the Reed–Solomon message).
    public static let messageBytes = 8
    /// Fewest chunks for Tier A: 8 message symbols and at least 4 correctable errors.
    public static let minimumChunks = 16
    static let fingerprintLabel = Array("modelseal-mark/v1 tier-a".utf8) + [0]

    /// `HMAC(S, "modelseal-mark/v1 tier-a" 0x00 ‖ u16be(len m) ‖ m ‖ u16be(len c) ‖ c)[0..<8]`.
    public static func fingerprint(secret: [UInt8], modelID: String, customer: String) throws(MarkError) -> [UInt8] {
        try MarkKey.check(secret: secret)
        try MarkKey.check(id: modelID, what: "model id")
        try MarkKey.check(id: customer, what: "customer id")
        var message = fingerprintLabel
        MarkKey.appendField(Array(modelID.utf8), to: &message)
        MarkKey.appendField(Array(customer.utf8), to: &message)
        return Array(
            HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: secret)).prefix(messageBytes))
    }

    /// Chunks of all slots together.
    public static func chunkCount(_ slots: [PermutationSlot]) -> Int {
        slots.reduce(0) { $0 + $1.units / chunkUnits }
    }

    /// The codeword length for `chunks` chunks.
    public static func codeLength(chunks: Int) -> Int { min(255, chunks) }

    /// The permutation of 6 units of rank `rank` (< 720): position `j` takes unit `result[j]`.
    public static func permutation(rank: Int) -> [Int] {
        var remaining = Array(0..<chunkUnits)
        var rest = rank
        var result: [Int] = []
        for position in 0..<chunkUnits {
            let factorial = (1...max(1, chunkUnits - 1 - position)).reduce(1, *)
            let index = rest / factorial
            rest %= factorial
            result.append(remaining.remove(at: index))
        }
        return result
    }

    /// The rank of a permutation of 0..<6, or `nil` when `units` is not one.
    public static func rank(_ units: [Int]) -> Int? {
        guard units.count == chunkUnits, Set(units) == Set(0..<chunkUnits) else { return nil }
        var remaining = Array(0..<chunkUnits)
        var rank = 0
        for (position, unit) in units.enumerated() {
            guard let index = remaining.firstIndex(of: unit) else { return nil }
            let factorial = (1...max(1, chunkUnits - 1 - position)).reduce(1, *)
            rank += index * factorial
            remaining.remove(at: index)
        }
        return rank
    }

    /// Each slot's permutation for `fingerprint`: position `j` of slot `s` takes original unit `result[s][j]`.
    public static func permutations(fingerprint: [UInt8], slots: [PermutationSlot]) -> [[Int]] {
        let chunks = chunkCount(slots)
        let codeword = ReedSolomon.encode(fingerprint, length: codeLength(chunks: chunks))
        var chunk = 0
        return slots.map { slot in
            var units = Array(0..<slot.units)
            for start in stride(from: 0, to: slot.units - chunkUnits + 1, by: chunkUnits) {
                let local = permutation(rank: Int(codeword[chunk % codeword.count]))
                for (position, unit) in local.enumerated() { units[start + position] = start + unit }
                chunk += 1
            }
            return units
        }
    }

    /// What a set of recovered permutations says: the decoded fingerprint (nil when the symbols are beyond the
    /// code's correction), the symbol errors corrected, and the chunks that held no valid symbol.
    public struct Decoded: Sendable {
        public var fingerprint: [UInt8]?
        public var symbolErrors: Int
        public var invalidChunks: Int
        public var codeLength: Int
    }

    /// Decodes recovered permutations (`nil` for a slot that could not be aligned): each codeword symbol by
    /// plurality of the chunks carrying it (the smallest symbol on a tie), then Reed–Solomon.
    public static func decode(_ recovered: [[Int]?], slots: [PermutationSlot]) -> Decoded {
        let length = codeLength(chunks: chunkCount(slots))
        guard length >= minimumChunks else {
            return Decoded(fingerprint: nil, symbolErrors: 0, invalidChunks: 0, codeLength: length)
        }
        var votes = [[Int]](repeating: [Int](repeating: 0, count: 256), count: length)
        var chunk = 0, invalid = 0
        for (slot, units) in zip(slots, recovered) {
            for start in stride(from: 0, to: slot.units - chunkUnits + 1, by: chunkUnits) {
                defer { chunk += 1 }
                guard let units, units.count == slot.units,
                    let rank = rank(units[start..<(start + chunkUnits)].map { $0 - start }), rank < 256
                else {
                    invalid += 1
                    continue
                }
                votes[chunk % length][rank] += 1
            }
        }
        let received = votes.map { counts in
            UInt8(counts.indices.max { counts[$0] < counts[$1] || (counts[$0] == counts[$1] && $0 > $1) } ?? 0)
        }
        let decoded = ReedSolomon.decode(received, messageLength: messageBytes)
        return Decoded(
            fingerprint: decoded?.message, symbolErrors: decoded?.errors ?? 0, invalidChunks: invalid,
            codeLength: length)
    }
}
