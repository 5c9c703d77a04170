#if canImport(Glibc)
    import Glibc
#endif

/// Keeps secrets out of core dumps and wipes key buffers after use.
///
/// Before a licensed open unwraps any key, the process is made non-dumpable (`PR_SET_DUMPABLE` 0:
/// no core file, no `/proc/PID/mem` or ptrace attach by other unprivileged processes) and its
/// `RLIMIT_CORE` soft limit is set to 0. Buffers of our own are zeroed with a write the optimizer cannot
/// drop; swift-crypto's `SymmetricKey` zeroes its own storage when freed. Copies Swift made of an
/// array before it was wiped cannot be reached, so this is best effort, as in every managed language.
public enum SecretMemory {
    static let prSetDumpable: Int32 = 4
    static let prGetDumpable: Int32 = 3

    /// Turns core dumps off for the rest of the process: a licensed load leaves the model's
    /// plaintext in memory for as long as the process uses it, so there is no "afterwards".
    public static func disableCoreDumps() {
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        var current = rlimit()
        if getrlimit(Int32(RLIMIT_CORE.rawValue), &current) == 0 { none.rlim_max = current.rlim_max }
        _ = setrlimit(Int32(RLIMIT_CORE.rawValue), &none)
        _ = prctlSet(prSetDumpable, 0)
    }

    /// True when the process is currently non-dumpable (for tests).
    public static var isDumpable: Bool { prctlGet(prGetDumpable) == 1 }

    /// Overwrites `bytes` with zeros in place.
    public static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            // memset through a volatile-like opaque call: explicit_bzero is in glibc ≥ 2.25.
            explicit_bzero(base, buffer.count)
        }
    }
}

@_silgen_name("prctl")
private func prctlCall(_ option: Int32, _ argument: UInt, _ a3: UInt, _ a4: UInt, _ a5: UInt) -> Int32

private func prctlGet(_ option: Int32) -> Int32 { prctlCall(option, 0, 0, 0, 0) }
private func prctlSet(_ option: Int32, _ value: UInt) -> Int32 { prctlCall(option, value, 0, 0, 0) }
