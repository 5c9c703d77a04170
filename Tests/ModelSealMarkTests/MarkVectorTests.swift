import ModelSealCore
import TestSupport
import Testing

@testable import ModelSealMark

/// The committed vectors of scripts/gen-mark-vectors.py: a second implementation of spec/MARK.md.
@Suite("mark vectors")
struct MarkVectorTests {
    static let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(2)
        return parts.joined(separator: "/") + "/Vectors/mark/vectors.json"
    }()

    static func vectors() throws -> JSONValue {
        let file = try InputFile.regular(path: root)
        return try JSONParser.parse(try file.read(at: 0, count: file.size))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    static func unhex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16) ?? 0)
            index = next
        }
        return bytes
    }

    @Test("customer key, tensor nonce and keystream match the generator")
    func keyAndPattern() throws {
        let v = try Self.vectors()
        let key = try MarkKey(
            secret: Self.unhex(v["secret_hex"]?.stringValue ?? ""), modelID: v["model_id"]?.stringValue ?? "",
            customer: v["customer"]?.stringValue ?? "")
        #expect(Self.hex(key.rawKey) == v["key_hex"]?.stringValue)
        let nonce = MarkKey.nonce(tensor: v["tensor"]?.stringValue ?? "")
        #expect(Self.hex(nonce) == v["nonce_hex"]?.stringValue)
        #expect(
            Self.hex(try key.patternBytes(nonce: nonce, firstElement: 0, count: 512))
                == v["pattern_first_64_bytes_hex"]?.stringValue)
        #expect(
            Self.hex(try key.patternBytes(nonce: nonce, firstElement: 1024, count: 128))
                == v["pattern_from_element_1024_16_bytes_hex"]?.stringValue)
    }

    @Test("marked fp32, fp16 and bf16 values match the generator bit for bit")
    func markedValues() throws {
        let v = try Self.vectors()
        let key = try MarkKey(
            secret: Self.unhex(v["secret_hex"]?.stringValue ?? ""), modelID: v["model_id"]?.stringValue ?? "",
            customer: v["customer"]?.stringValue ?? "")
        let tensors = try #require(v["tensors"]?.arrayValue)
        #expect(tensors.count == 3)
        for tensor in tensors {
            let dtype = try #require(MarkDType(rawValue: tensor["dtype"]?.stringValue ?? ""))
            let shape = (tensor["shape"]?.arrayValue ?? []).compactMap(\.intValue)
            let original = (tensor["original_bits"]?.arrayValue ?? []).compactMap(\.intValue)
            let expected = (tensor["marked_bits"]?.arrayValue ?? []).compactMap(\.intValue)
            var bytes = [UInt8](repeating: 0, count: original.count * dtype.elementSize)
            for (index, bits) in original.enumerated() {
                for byte in 0..<dtype.elementSize {
                    bytes[index * dtype.elementSize + byte] = UInt8((bits >> (8 * byte)) & 0xFF)
                }
            }
            let stats = try bytes.withUnsafeMutableBytes { raw in
                try TensorMarker.mark(
                    raw, name: v["tensor"]?.stringValue ?? "", dtype: dtype, shape: shape, key: key, alpha: 6e-4)
            }
            let marked = bytes.withUnsafeBytes { raw in
                guard let base = raw.baseAddress else { return [Int]() }
                return (0..<original.count).map { Int(dtype.bits(base, $0)) }
            }
            #expect(marked == expected, "dtype \(dtype.rawValue)")
            #expect(stats.maxUlps <= 1 || dtype == .float32)
        }
    }

    @Test("Tier A: fingerprint, Reed–Solomon codewords, chunk permutations match the generator; 16 errors corrected")
    func tierA() throws {
        let v = try Self.vectors()
        let a = try #require(v["tier_a"])
        let secret = Self.unhex(v["secret_hex"]?.stringValue ?? "")
        let fingerprint = try TierACode.fingerprint(
            secret: secret, modelID: v["model_id"]?.stringValue ?? "", customer: v["customer"]?.stringValue ?? "")
        #expect(Self.hex(fingerprint) == a["fingerprint_hex"]?.stringValue)
        #expect(Self.hex(ReedSolomon.encode(fingerprint, length: 40)) == a["codeword_40_hex"]?.stringValue)
        #expect(Self.hex(ReedSolomon.encode(fingerprint, length: 255)) == a["codeword_255_hex"]?.stringValue)
        let received = Self.unhex(a["received_40_with_16_errors_hex"]?.stringValue ?? "")
        let decoded = try #require(ReedSolomon.decode(received, messageLength: 8))
        #expect(decoded.message == fingerprint && decoded.errors == 16)
        for (rank, expected) in try #require(a["permutations_of_rank"]?.objectValue) {
            let permutation = TierACode.permutation(rank: Int(rank) ?? -1)
            #expect(permutation == expected.arrayValue?.compactMap(\.intValue))
            #expect(TierACode.rank(permutation) == Int(rank))
        }
        let units = try #require(a["slot_units"]?.arrayValue).compactMap(\.intValue)
        let slots = units.map { PermutationSlot(name: "s", units: $0, edges: []) }
        let permutations = TierACode.permutations(fingerprint: fingerprint, slots: slots)
        #expect(permutations == a["slot_permutations"]?.arrayValue?.map { $0.arrayValue?.compactMap(\.intValue) ?? [] })
        #expect(TierACode.decode(permutations, slots: slots).fingerprint == fingerprint)
    }

    @Test("Reed–Solomon corrects up to (n−k)/2 random errors and refuses or misses no more than that")
    func reedSolomonRandom() {
        var generator = SplitMix64(seed: 3)
        for trial in 0..<200 {
            let message = (0..<8).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let length = [16, 40, 255][trial % 3]
            var word = ReedSolomon.encode(message, length: length)
            let errors = Int.random(in: 0...((length - 8) / 2), using: &generator)
            var positions = Set<Int>()
            while positions.count < errors { positions.insert(Int.random(in: 0..<length, using: &generator)) }
            for position in positions { word[position] ^= UInt8.random(in: 1...255, using: &generator) }
            let decoded = ReedSolomon.decode(word, messageLength: 8)
            #expect(decoded?.message == message && decoded?.errors == errors, "trial \(trial)")
        }
    }
}
