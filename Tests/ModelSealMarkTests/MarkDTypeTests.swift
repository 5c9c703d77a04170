import TestSupport
import Testing

@testable import ModelSealMark

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite("mark dtype conversions")
struct MarkDTypeTests {
    @Test("binary16 decoding and rounding agree with Swift's Float16 on every value")
    func halfExhaustive() {
        for bits in 0...UInt16.max {
            let half = Float16(bitPattern: bits)
            let widened = MarkDType.halfToFloat(bits)
            #expect(widened.bitPattern == Float(half).bitPattern || (widened.isNaN && half.isNaN))
        }
        var generator = SplitMix64(seed: 18)
        for _ in 0..<200_000 {
            let value = Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &generator))
            guard !value.isNaN else { continue }
            #expect(MarkDType.floatToHalf(value) == Float16(value).bitPattern, "value \(value)")
        }
    }

    @Test("bfloat16 rounds to nearest even")
    func bfloat16Rounding() {
        #expect(MarkDType.floatToBFloat16(Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // tie, even stays
        #expect(MarkDType.floatToBFloat16(Float(bitPattern: 0x3F81_8000)) == 0x3F82)  // tie, odd rounds up
        #expect(MarkDType.floatToBFloat16(Float(bitPattern: 0x3F80_8001)) == 0x3F81)
        #expect(MarkDType.floatToBFloat16(.nan) & 0x7FC0 == 0x7FC0)
    }

    @Test("the Hoeffding threshold solves tests · exp(−z²/2) = target")
    func threshold() {
        let z = HoeffdingThreshold.z(tests: 20_000, target: 1e-9)
        let bound: Double = 20_000 * exp(-z * z / 2)
        #expect(bound <= 1e-9 && bound > 0.999e-9)
        #expect(HoeffdingThreshold.familyWiseBound(z: 0, tests: 5) == 1)
    }
}
