/// scrypt cost parameters, checked against the caps of spec/CONTAINER.md §3 before any derivation.
///
/// swift-crypto's scrypt ignores its `maxMemory` argument and traps when `128 * r * N * p`
/// overflows, so every value read from a file goes through `validated` first.
public struct ScryptParameters: Sendable, Equatable {
    /// log2 of the CPU/memory cost N.
    public let log2N: Int
    /// Block size r.
    public let r: Int
    /// Parallelism p.
    public let p: Int

    /// Smallest accepted log2 N.
    public static let minimumLog2N = 10
    /// Largest accepted log2 N.
    public static let maximumLog2N = 20
    /// Largest accepted r.
    public static let maximumR = 32
    /// Largest accepted p.
    public static let maximumP = 16
    /// Most memory one derivation may use: 1 GiB.
    public static let maximumMemory = 1 << 30
    /// Most work one derivation may do: N * r * p <= 2^26.
    public static let maximumWork = 1 << 26
    /// Most work an opener does by default: N * r * p <= 2^23, what the costliest parameters a ModelSeal
    /// writer offers (`--scrypt-log2n 20`, r = 8, p = 1) need. A crafted file can ask for up to
    /// `maximumWork` (8 times more, about 20 s); openers allow that only when asked
    /// (`--allow-slow-passphrase`).
    public static let defaultOpeningWork = 1 << 23
    /// Writers' default: N = 2^18, r = 8, p = 1 (256 MiB, about 0.6 s on the reference machine).
    public static let `default` = ScryptParameters(unchecked: 18, r: 8, p: 1)

    private init(unchecked log2N: Int, r: Int, p: Int) {
        self.log2N = log2N
        self.r = r
        self.p = p
    }

    /// Checks each value and their products in an order that cannot overflow.
    /// `workLimit` lowers the work cap (an opener's default, `defaultOpeningWork`); it never raises it.
    public static func validated(
        log2N: Int, r: Int, p: Int, workLimit: Int = maximumWork
    ) throws(SealError) -> ScryptParameters {
        guard (minimumLog2N...maximumLog2N).contains(log2N), (1...maximumR).contains(r), (1...maximumP).contains(p)
        else { throw .unsafeScryptParameters(log2N: log2N, r: r, p: p) }
        // All factors are now small (N <= 2^20, r <= 2^5, p <= 2^4): the products fit easily.
        let n = 1 << log2N
        guard 128 * r * n <= maximumMemory, n * r * p <= min(maximumWork, workLimit) else {
            throw .unsafeScryptParameters(log2N: log2N, r: r, p: p)
        }
        return ScryptParameters(unchecked: log2N, r: r, p: p)
    }

    /// Bytes of memory one derivation uses.
    public var memory: Int { 128 * r * (1 << log2N) }
}
