/// Modular exponentiation for the RSA public operation (`RSAOAEPPublicKey`): Montgomery multiplication (CIOS,
/// Koç et al. 1996) over little-endian 64-bit limbs. Not constant-time: it only ever raises a freshly padded
/// random seed to a public exponent.
struct MontgomeryModulus {
    /// The modulus, little-endian limbs.
    let limbs: [UInt64]
    /// −n⁻¹ mod 2⁶⁴.
    let inverse: UInt64
    /// R² mod n, R = 2^(64·limbs.count).
    let rSquared: [UInt64]

    /// An odd modulus, big-endian bytes.
    init(_ modulus: [UInt8]) {
        limbs = Self.limbs(of: modulus, count: (modulus.count + 7) / 8)
        var x: UInt64 = 1
        for _ in 0..<6 { x = x &* (2 &- limbs[0] &* x) }  // Newton: x = n⁻¹ mod 2⁶⁴ (n odd)
        inverse = 0 &- x
        var r = [UInt64](repeating: 0, count: limbs.count)
        r[0] = 1
        for _ in 0..<(128 * limbs.count) { r = Self.doubled(r, modulo: limbs) }
        rSquared = r
    }

    /// `base^exponent mod n`, big-endian bytes of the modulus's length.
    func power(_ base: [UInt8], exponent: [UInt8]) -> [UInt8] {
        let one = [1] + [UInt64](repeating: 0, count: limbs.count - 1)
        let b = multiply(Self.limbs(of: base, count: limbs.count), rSquared)
        var result = multiply(one, rSquared)
        for byte in exponent {
            for bit in (0..<8).reversed() {
                result = multiply(result, result)
                if byte >> UInt8(bit) & 1 == 1 { result = multiply(result, b) }
            }
        }
        result = multiply(result, one)
        let byteCount = limbs.count * 8
        let bytes = (0..<byteCount).map { UInt8(truncatingIfNeeded: result[($0) / 8] >> UInt64(8 * ($0 % 8))) }
        return Array(bytes.reversed())
    }

    /// `a·b·R⁻¹ mod n` (CIOS).
    func multiply(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] {
        let s = limbs.count
        var t = [UInt64](repeating: 0, count: s + 2)
        for i in 0..<s {
            var carry: UInt64 = 0
            for j in 0..<s { (carry, t[j]) = Self.multiplyAdd(a[j], b[i], t[j], carry) }
            (carry, t[s]) = Self.multiplyAdd(0, 0, t[s], carry)
            t[s + 1] = carry
            let m = t[0] &* inverse
            (carry, _) = Self.multiplyAdd(m, limbs[0], t[0], 0)
            for j in 1..<s { (carry, t[j - 1]) = Self.multiplyAdd(m, limbs[j], t[j], carry) }
            (carry, t[s - 1]) = Self.multiplyAdd(0, 0, t[s], carry)
            t[s] = t[s + 1] &+ carry
        }
        var result = Array(t[0..<s])
        if t[s] != 0 || !Self.less(result, limbs) { result = Self.subtract(result, limbs) }
        return result
    }

    /// `a·b + c + d` as (high, low) words; it never overflows 128 bits.
    static func multiplyAdd(_ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64) -> (UInt64, UInt64) {
        var (high, low) = a.multipliedFullWidth(by: b)
        var overflow: Bool
        (low, overflow) = low.addingReportingOverflow(c)
        if overflow { high &+= 1 }
        (low, overflow) = low.addingReportingOverflow(d)
        if overflow { high &+= 1 }
        return (high, low)
    }

    static func limbs(of bytes: [UInt8], count: Int) -> [UInt64] {
        var limbs = [UInt64](repeating: 0, count: count)
        for (index, byte) in bytes.reversed().enumerated() where index / 8 < count {
            limbs[index / 8] |= UInt64(byte) << UInt64(8 * (index % 8))
        }
        return limbs
    }

    static func less(_ a: [UInt64], _ b: [UInt64]) -> Bool {
        for index in (0..<a.count).reversed() where a[index] != b[index] { return a[index] < b[index] }
        return false
    }

    /// `a − b` modulo 2^(64·count) (callers ensure the true result is what they want).
    static func subtract(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] {
        var result = a
        var borrow = false
        for index in 0..<a.count {
            let (first, o1) = a[index].subtractingReportingOverflow(b[index])
            let (second, o2) = first.subtractingReportingOverflow(borrow ? 1 : 0)
            result[index] = second
            borrow = o1 || o2
        }
        return result
    }

    /// `2·a mod n` for `a < n`.
    static func doubled(_ a: [UInt64], modulo n: [UInt64]) -> [UInt64] {
        var result = a
        var carry: UInt64 = 0
        for index in 0..<a.count {
            result[index] = a[index] << 1 | carry
            carry = a[index] >> 63
        }
        if carry != 0 || !less(result, n) { result = subtract(result, n) }
        return result
    }
}
