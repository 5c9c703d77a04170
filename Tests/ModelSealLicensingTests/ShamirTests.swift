import Testing

@testable import ModelSealLicensing

@Suite("Shamir secret sharing over GF(2^8)")
struct ShamirTests {
    @Test("field inverse: a · a^-1 = 1 for every nonzero a")
    func inverse() {
        for a in UInt8(1)...255 {
            #expect(Shamir.multiply(a, Shamir.divide(1, a)) == 1)
        }
    }

    @Test("any k of n shares recover the secret", arguments: [(1, 1), (1, 3), (2, 3), (3, 5), (4, 5), (5, 6)])
    func recover(threshold: Int, count: Int) {
        let secret = (0..<32).map { UInt8($0 * 7 &+ 3) }
        let shares = Shamir.split(secret, threshold: threshold, count: count)
        // Every window of k consecutive shares (wrapping) recovers it.
        for start in 0..<count {
            let chosen = (0..<threshold).map { offset -> (x: UInt8, bytes: [UInt8]) in
                let index = (start + offset) % count
                return (UInt8(index + 1), shares[index])
            }
            #expect(Shamir.combine(chosen) == secret)
        }
    }

    @Test("k-1 shares give a different value")
    func tooFew() {
        let secret = [UInt8](repeating: 0xAB, count: 32)
        let shares = Shamir.split(secret, threshold: 3, count: 4)
        #expect(Shamir.combine([(1, shares[0]), (2, shares[1])]) != secret)
    }
}
