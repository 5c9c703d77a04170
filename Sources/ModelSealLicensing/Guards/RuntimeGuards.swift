/// Something a runtime guard found about this process or machine.
public struct GuardFinding: Sendable, Equatable, CustomStringConvertible {
    /// The kind of finding; the license policy has one action per kind.
    public enum Kind: String, Sendable {
        case tracer, preload, virtualization
    }

    /// Its kind.
    public let kind: Kind
    /// What was seen.
    public let detail: String

    public var description: String { "\(kind.rawValue): \(detail)" }
}

/// Runtime checks evaluated before any license key is unwrapped (docs/LICENSING.md).
///
/// They raise the bar for casual inspection; they are not a defence against the machine's owner,
/// who controls the kernel, the loader and the debugger.
public enum RuntimeGuards {
    /// Findings on the real machine and process.
    public static func evaluate() -> [GuardFinding] { evaluate(probe: FilesystemProbe.system) }

    static let hypervisorVendors = [
        "QEMU", "KVM", "VMware", "innotek", "VirtualBox", "Xen", "Microsoft Corporation", "Amazon EC2", "Google",
        "Parallels", "Bochs", "BHYVE", "OpenStack",
    ]

    static func evaluate(probe: MachineProbe) -> [GuardFinding] {
        var findings: [GuardFinding] = []
        // Tracer: a debugger, strace or ltrace attached with ptrace.
        if let status = probe.readFile("/proc/self/status").map({ String(decoding: $0, as: UTF8.self) }) {
            for line in status.split(separator: "\n") where line.hasPrefix("TracerPid:") {
                let pid = line.dropFirst("TracerPid:".count).trimmingCharacters
                if pid != "0" && !pid.isEmpty {
                    findings.append(GuardFinding(kind: .tracer, detail: "process is traced by pid \(pid)"))
                }
            }
        }
        // Preload and audit libraries: code injected into this process by the dynamic loader.
        for variable in ["LD_PRELOAD", "LD_AUDIT"] {
            if let value = probe.environment(variable), !value.isEmpty {
                findings.append(GuardFinding(kind: .preload, detail: "\(variable)=\(value)"))
            }
        }
        // `ld-linux-x86-64.so.2 --preload x.so modelseal ...` sets no variable: the process image is then
        // the dynamic loader itself. Libraries loaded later with dlopen (torch, CUDA) are not flagged.
        if let image = probe.readLink("/proc/self/exe"), isDynamicLoader(image) {
            findings.append(
                GuardFinding(
                    kind: .preload,
                    detail:
                        "started through the dynamic loader \(image) (its --preload/--audit inject libraries unseen)"
                ))
        }
        if let preload = probe.text("/etc/ld.so.preload") {
            findings.append(
                GuardFinding(
                    kind: .preload,
                    detail: "/etc/ld.so.preload lists \(preload.split(separator: "\n").count) librar(ies)"))
        }
        // Virtualization: hypervisor CPU flag, hypervisor DMI vendor, container markers.
        if let cpuinfo = probe.readFile("/proc/cpuinfo").map({ String(decoding: $0, as: UTF8.self) }),
            cpuinfo.split(separator: "\n").contains(where: {
                $0.hasPrefix("flags") && $0.split(separator: " ").contains("hypervisor")
            })
        {
            findings.append(GuardFinding(kind: .virtualization, detail: "virtual machine (CPU hypervisor flag)"))
        }
        if let vendor = probe.text("/sys/class/dmi/id/sys_vendor"),
            hypervisorVendors.contains(where: { vendor.hasPrefix($0) })
        {
            findings.append(GuardFinding(kind: .virtualization, detail: "virtual machine (DMI vendor \(vendor))"))
        }
        if probe.readFile("/.dockerenv") != nil {
            findings.append(GuardFinding(kind: .virtualization, detail: "container (/.dockerenv)"))
        } else if probe.readFile("/run/.containerenv") != nil {
            findings.append(GuardFinding(kind: .virtualization, detail: "container (/run/.containerenv)"))
        } else if let cgroup = probe.text("/proc/1/cgroup"),
            ["docker", "kubepods", "containerd", "lxc", "libpod"].contains(where: { cgroup.contains($0) })
        {
            findings.append(GuardFinding(kind: .virtualization, detail: "container (cgroup of pid 1)"))
        } else if let container = probe.environment("container"), !container.isEmpty {
            findings.append(GuardFinding(kind: .virtualization, detail: "container ($container=\(container))"))
        }
        return findings
    }

    /// True for the dynamic loader's own file (`ld-linux-x86-64.so.2`, `ld-linux-aarch64.so.1`,
    /// `ld-musl-x86_64.so.1`, `ld.so`).
    static func isDynamicLoader(_ path: String) -> Bool {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return name == "ld.so" || name.hasPrefix("ld-linux") || name.hasPrefix("ld-musl")
            || (name.hasPrefix("ld-") && name.contains(".so"))
    }

    /// Applies `policy`: throws for findings the policy denies, returns those it warns about.
    public static func apply(_ policy: GuardPolicy, to findings: [GuardFinding]) throws(LicenseError) -> [GuardFinding]
    {
        let denied = findings.filter { policy.action(for: $0.kind) == .deny }
        guard denied.isEmpty else { throw .guardDenied(denied.map(\.description)) }
        return findings.filter { policy.action(for: $0.kind) == .warn }
    }
}

extension Substring {
    var trimmingCharacters: String { String(self).trimmingWhitespace }
}
