/// Shamir secret sharing over GF(2^8), byte by byte (the field and polynomial of AES, 0x11B).
///
/// A secret of any length is split into `n` shares at x = 1...n with threshold `k`: any `k` shares
/// give the secret, fewer give no information about it. Used by `ComponentLock` for the k-of-n
/// fingerprint binding (spec/LICENSING.md §4).
enum Shamir {
    /// Splits `secret` into `count` shares (x = 1...count) with threshold `threshold`.
    static func split(_ secret: [UInt8], threshold: Int, count: Int) -> [[UInt8]] {
        precondition((1...count).contains(threshold) && count <= 255, "caller checks 1 <= k <= n <= 255")
        var generator = SystemRandomNumberGenerator()
        var shares = [[UInt8]](repeating: [], count: count)
        for byte in secret {
            // Coefficients a_1..a_{k-1} random; a_0 is the secret byte.
            let coefficients = [byte] + (1..<threshold).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            for index in 0..<count {
                shares[index].append(evaluate(coefficients, at: UInt8(index + 1)))
            }
        }
        return shares
    }

    /// Recombines shares given as (x, bytes) pairs with distinct nonzero x; all shares have equal length.
    static func combine(_ shares: [(x: UInt8, bytes: [UInt8])]) -> [UInt8] {
        guard let length = shares.first?.bytes.count else { return [] }
        var secret = [UInt8](repeating: 0, count: length)
        for (i, share) in shares.enumerated() {
            // Lagrange basis polynomial at 0: prod x_j / (x_j - x_i); subtraction is XOR.
            var basis: UInt8 = 1
            for (j, other) in shares.enumerated() where j != i {
                basis = multiply(basis, divide(other.x, other.x ^ share.x))
            }
            for position in 0..<length {
                secret[position] ^= multiply(share.bytes[position], basis)
            }
        }
        return secret
    }

    static func evaluate(_ coefficients: [UInt8], at x: UInt8) -> UInt8 {
        var result: UInt8 = 0
        for coefficient in coefficients.reversed() {
            result = multiply(result, x) ^ coefficient
        }
        return result
    }

    /// Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1, without table lookups.
    static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        var a = a
        var b = b
        var product: UInt8 = 0
        for _ in 0..<8 {
            product ^= a & (0 &- (b & 1))
            let carry = a >> 7
            a = (a << 1) ^ (0x1B & (0 &- carry))
            b >>= 1
        }
        return product
    }

    /// Division: a · b^254 (b^-1 = b^254 in GF(2^8)); b is never 0 here.
    static func divide(_ a: UInt8, _ b: UInt8) -> UInt8 {
        var inverse: UInt8 = 1
        var power = b
        var exponent = 254
        while exponent > 0 {
            if exponent & 1 == 1 { inverse = multiply(inverse, power) }
            power = multiply(power, power)
            exponent >>= 1
        }
        return multiply(a, inverse)
    }
}
