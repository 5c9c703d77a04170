/// The platform an interpreter binary is built for, read from its first bytes (ELF, Mach-O, PE)
/// instead of running it.
///
/// ELF: `e_ident[EI_DATA]` (byte 5) gives the byte order of `e_machine` (bytes 18–19).
/// Mach-O 64: magic `CF FA ED FE` then `cputype` (little-endian) at byte 4. PE: `MZ`.
enum ExecutableFormat {
    /// Bytes read from the start of the binary.
    static let probeLength = 64

    static func platform(of bytes: [UInt8]) -> EnvironmentLock.Platform? {
        if bytes.count >= 20, bytes[0] == 0x7F, bytes[1] == 0x45, bytes[2] == 0x4C, bytes[3] == 0x46 {
            let little = bytes[5] == 1
            let machine =
                little ? UInt16(bytes[18]) | UInt16(bytes[19]) << 8 : UInt16(bytes[18]) << 8 | UInt16(bytes[19])
            let names: [UInt16: String] = [
                0x3E: "x86_64", 0xB7: "aarch64", 0x03: "i686", 0x28: "armv7l", 0x15: little ? "ppc64le" : "ppc64",
                0x16: "s390x", 0xF3: "riscv64",
            ]
            return .init(system: "linux", machine: names[machine] ?? "elf-machine-\(machine)")
        }
        if bytes.count >= 8, bytes[0] == 0xCF, bytes[1] == 0xFA, bytes[2] == 0xED, bytes[3] == 0xFE {
            let cpu = UInt32(bytes[4]) | UInt32(bytes[5]) << 8 | UInt32(bytes[6]) << 16 | UInt32(bytes[7]) << 24
            return .init(
                system: "darwin", machine: cpu == 0x0100_000C ? "arm64" : cpu == 0x0100_0007 ? "x86_64" : "mach-\(cpu)")
        }
        if bytes.count >= 4, bytes[0] == 0xCA, bytes[1] == 0xFE, bytes[2] == 0xBA, bytes[3] == 0xBE {
            return .init(system: "darwin", machine: "universal2")
        }
        if bytes.count >= 2, bytes[0] == 0x4D, bytes[1] == 0x5A {
            return .init(system: "windows", machine: "x86_64")
        }
        return nil
    }
}
