/// Bech32 (BIP 173): the checksummed text form of recipients and identities (spec/CONTAINER.md §7).
///
/// Chosen over base64 because it is case-insensitive, has no ambiguous characters, and its
/// checksum catches any typo of up to four characters.
enum Bech32 {
    static let alphabet = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    static let maximumLength = 90
    private static let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]

    private static func polymod(_ values: [UInt8]) -> UInt32 {
        var checksum: UInt32 = 1
        for value in values {
            let top = checksum >> 25
            checksum = (checksum & 0x1ff_ffff) << 5 ^ UInt32(value)
            for bit in 0..<5 where (top >> bit) & 1 == 1 { checksum ^= generator[bit] }
        }
        return checksum
    }

    private static func expand(_ hrp: [UInt8]) -> [UInt8] {
        hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 }
    }

    /// Regroups bits; `pad` allows a final partial group (encoding), decoding requires zero padding.
    private static func regroup(_ data: [UInt8], from: Int, to: Int, pad: Bool) -> [UInt8]? {
        var accumulator = 0
        var bits = 0
        var result: [UInt8] = []
        let mask = (1 << to) - 1
        for value in data {
            accumulator = (accumulator << from) | Int(value)
            bits += from
            while bits >= to {
                bits -= to
                result.append(UInt8((accumulator >> bits) & mask))
            }
        }
        if pad {
            if bits > 0 { result.append(UInt8((accumulator << (to - bits)) & mask)) }
        } else if bits >= from || (accumulator << (to - bits)) & mask != 0 {
            return nil
        }
        return result
    }

    /// Lowercase Bech32 of `data` under `hrp` (lowercase ASCII).
    static func encode(hrp: String, data: [UInt8]) -> String {
        let hrpBytes = Array(hrp.utf8)
        let values = regroup(data, from: 8, to: 5, pad: true) ?? []
        let checksumInput = expand(hrpBytes) + values + [0, 0, 0, 0, 0, 0]
        let checksum = polymod(checksumInput) ^ 1
        let checksumValues = (0..<6).map { UInt8((checksum >> (5 * (5 - UInt32($0)))) & 31) }
        return hrp + "1" + String(decoding: (values + checksumValues).map { alphabet[Int($0)] }, as: UTF8.self)
    }

    /// Decodes and verifies; returns the lowercase hrp and the data, or a reason.
    static func decode(_ text: String) -> Result<(hrp: String, data: [UInt8]), Bech32Failure> {
        let bytes = Array(text.utf8)
        guard bytes.count <= maximumLength else { return .failure(.tooLong) }
        guard bytes.allSatisfy({ (33...126).contains($0) }) else { return .failure(.invalidCharacter) }
        let hasLower = bytes.contains { (0x61...0x7A).contains($0) }
        let hasUpper = bytes.contains { (0x41...0x5A).contains($0) }
        guard !(hasLower && hasUpper) else { return .failure(.mixedCase) }
        let lower = bytes.map { (0x41...0x5A).contains($0) ? $0 + 32 : $0 }
        guard let separator = lower.lastIndex(of: 0x31), separator >= 1, lower.count - separator - 1 >= 6 else {
            return .failure(.missingSeparator)
        }
        let hrp = Array(lower[..<separator])
        var values: [UInt8] = []
        for character in lower[(separator + 1)...] {
            guard let value = alphabet.firstIndex(of: character) else { return .failure(.invalidCharacter) }
            values.append(UInt8(value))
        }
        guard polymod(expand(hrp) + values) == 1 else { return .failure(.badChecksum) }
        guard let data = regroup(Array(values.dropLast(6)), from: 5, to: 8, pad: false) else {
            return .failure(.badPadding)
        }
        return .success((String(decoding: hrp, as: UTF8.self), data))
    }
}

/// Why a Bech32 string was rejected.
enum Bech32Failure: Error, CustomStringConvertible {
    case tooLong, invalidCharacter, mixedCase, missingSeparator, badChecksum, badPadding

    var description: String {
        switch self {
        case .tooLong: "longer than 90 characters"
        case .invalidCharacter: "contains a character outside the Bech32 alphabet"
        case .mixedCase: "mixes upper and lower case"
        case .missingSeparator: "has no '1' separator followed by a checksum"
        case .badChecksum: "checksum mismatch (a typo, or the string was cut)"
        case .badPadding: "has non-zero padding bits"
        }
    }
}
