/// Reed–Solomon over GF(2⁸) (spec/MARK.md §8.3): field polynomial x⁸+x⁴+x³+x²+1 (0x11D), generator α = 2,
/// code generator g(x) = ∏_{i=0}^{n−k−1} (x − αⁱ), systematic codewords `message ‖ parity` with the first
/// byte the highest-degree coefficient. Decoding corrects up to ⌊(n−k)/2⌋ symbol errors (Berlekamp–Massey,
/// Chien search, Forney) and reports failure beyond that when it can tell.
enum ReedSolomon {
    static let tables: (exp: [UInt8], log: [Int]) = {
        var exp = [UInt8](repeating: 0, count: 512)
        var log = [Int](repeating: 0, count: 256)
        var value = 1
        for power in 0..<255 {
            exp[power] = UInt8(value)
            log[value] = power
            value <<= 1
            if value & 0x100 != 0 { value ^= 0x11D }
        }
        for power in 255..<512 { exp[power] = exp[power - 255] }
        return (exp, log)
    }()

    static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        a == 0 || b == 0 ? 0 : tables.exp[tables.log[Int(a)] + tables.log[Int(b)]]
    }

    static func divide(_ a: UInt8, _ b: UInt8) -> UInt8 {
        a == 0 ? 0 : tables.exp[tables.log[Int(a)] + 255 - tables.log[Int(b)]]
    }

    static func power(_ exponent: Int) -> UInt8 { tables.exp[((exponent % 255) + 255) % 255] }

    /// The code's generator polynomial for `parity` check symbols, highest degree first.
    static func generator(parity: Int) -> [UInt8] {
        var g: [UInt8] = [1]
        for index in 0..<parity {
            var next = [UInt8](repeating: 0, count: g.count + 1)
            for (position, coefficient) in g.enumerated() {
                next[position] ^= coefficient
                next[position + 1] ^= multiply(coefficient, power(index))
            }
            g = next
        }
        return g
    }

    /// The codeword of `message` with `length` symbols in all (`length` ≤ 255, > message.count).
    static func encode(_ message: [UInt8], length: Int) -> [UInt8] {
        let parity = length - message.count
        let g = generator(parity: parity)
        var remainder = message + [UInt8](repeating: 0, count: parity)
        for index in 0..<message.count where remainder[index] != 0 {
            let factor = remainder[index]
            for position in 1..<g.count { remainder[index + position] ^= multiply(g[position], factor) }
        }
        return message + remainder[message.count...]
    }

    /// Syndromes r(αʲ), j < parity.
    static func syndromes(_ received: [UInt8], parity: Int) -> [UInt8] {
        (0..<parity).map { j in
            received.reduce(UInt8(0)) { multiply($0, power(j)) ^ $1 }
        }
    }

    /// The message and the number of corrected symbols, or `nil` when more errors than the code corrects.
    static func decode(_ received: [UInt8], messageLength: Int) -> (message: [UInt8], errors: Int)? {
        let n = received.count
        let parity = n - messageLength
        let s = syndromes(received, parity: parity)
        if s.allSatisfy({ $0 == 0 }) { return (Array(received.prefix(messageLength)), 0) }
        let locator = berlekampMassey(s)
        let degree = locator.count - 1
        guard degree >= 1, degree <= parity / 2 else { return nil }
        // Chien search: position i (degree n−1−i) is in error when Λ(α^−(n−1−i)) = 0.
        var positions: [Int] = []
        for index in 0..<n where evaluate(locator, power(-(n - 1 - index))) == 0 { positions.append(index) }
        guard positions.count == degree else { return nil }
        var evaluator = [UInt8](repeating: 0, count: parity)
        for (i, si) in s.enumerated() {
            for (j, lj) in locator.enumerated() where i + j < parity { evaluator[i + j] ^= multiply(si, lj) }
        }
        var derivative = [UInt8](repeating: 0, count: max(1, locator.count - 1))
        for index in stride(from: 1, to: locator.count, by: 2) { derivative[index - 1] = locator[index] }
        var corrected = received
        for index in positions {
            let x = power(n - 1 - index)
            let inverse = power(-(n - 1 - index))
            let denominator = evaluate(derivative, inverse)
            guard denominator != 0 else { return nil }
            corrected[index] ^= multiply(x, divide(evaluate(evaluator, inverse), denominator))
        }
        guard syndromes(corrected, parity: parity).allSatisfy({ $0 == 0 }) else { return nil }
        return (Array(corrected.prefix(messageLength)), positions.count)
    }

    /// The error locator Λ (lowest degree first) from the syndromes.
    static func berlekampMassey(_ s: [UInt8]) -> [UInt8] {
        var c: [UInt8] = [1]
        var b: [UInt8] = [1]
        var length = 0, shift = 1
        var last: UInt8 = 1
        for n in 0..<s.count {
            var discrepancy = s[n]
            for i in 1..<max(1, min(c.count, length + 1)) where n - i >= 0 { discrepancy ^= multiply(c[i], s[n - i]) }
            if discrepancy == 0 {
                shift += 1
                continue
            }
            let factor = divide(discrepancy, last)
            var next = c
            if next.count < b.count + shift { next += [UInt8](repeating: 0, count: b.count + shift - next.count) }
            for (i, bi) in b.enumerated() { next[i + shift] ^= multiply(factor, bi) }
            if 2 * length <= n {
                b = c
                length = n + 1 - length
                last = discrepancy
                shift = 1
            } else {
                shift += 1
            }
            c = next
        }
        while c.count > 1 && c.last == 0 { c.removeLast() }
        return c
    }

    /// p(x) for p lowest degree first.
    static func evaluate(_ p: [UInt8], _ x: UInt8) -> UInt8 {
        p.reversed().reduce(UInt8(0)) { multiply($0, x) ^ $1 }
    }
}
