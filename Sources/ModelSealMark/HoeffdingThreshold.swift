#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The accusation threshold (spec/MARK.md §5): for an innocent customer the pattern signs are
/// independent fair ±1 given the suspect, so a score `S = Σ sᵢ·yᵢ` with `yᵢ ∈ {−1, 0, +1}` over `m`
/// non-zero `yᵢ` obeys Hoeffding's bound `P(S ≥ z·√m) ≤ exp(−z²/2)` — no Gaussian assumption.
public enum HoeffdingThreshold {
    /// The smallest `z` with `tests · exp(−z²/2) ≤ target`.
    public static func z(tests: Int, target: Double) -> Double {
        var z = (2 * log(Double(max(1, tests)) / target)).squareRoot()
        // The closed form can land a rounding error below the exact root: step up until the bound holds.
        while familyWiseBound(z: z, tests: tests) > target { z = z.nextUp }
        return z
    }

    /// `log10(min(1, tests · exp(−z²/2)))`, computed without underflow.
    public static func log10FamilyWiseBound(z: Double, tests: Int) -> Double {
        guard z > 0 else { return 0 }
        return min(0, log10(Double(max(1, tests))) - z * z / (2 * log(10.0)))
    }

    /// `min(1, tests · exp(−z²/2))`: the family-wise probability that any innocent scores `z` or more.
    public static func familyWiseBound(z: Double, tests: Int) -> Double {
        guard z > 0 else { return 1 }
        return min(1, Double(max(1, tests)) * exp(-z * z / 2))
    }
}
