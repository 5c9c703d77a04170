import ContainerEngine
import ModelSealCore
import Testing

@testable import ModelSealLicensing

@Suite("Runtime guards")
struct RuntimeGuardTests {
    @Test("a clean fake machine has no findings")
    func clean() throws {
        #expect(RuntimeGuards.evaluate(probe: try FakeMachine().probe).isEmpty)
    }

    @Test("tracer, preload, audit, ld.so.preload, VM and container markers are found")
    func findings() throws {
        let machine = try FakeMachine()
        try machine.write("/proc/self/status", "Name:\tpython\nTracerPid:\t4242\n")
        machine.environment = ["LD_PRELOAD": "/usr/lib/libhook.so", "LD_AUDIT": "/tmp/audit.so"]
        try machine.write("/etc/ld.so.preload", "/lib/evil.so\n")
        try machine.write(
            "/proc/cpuinfo", "processor\t: 0\nmodel name\t: QEMU Virtual CPU\nflags\t\t: fpu hypervisor\n")
        try machine.write("/sys/class/dmi/id/sys_vendor", "QEMU\n")
        try machine.write("/.dockerenv", "")
        let kinds = RuntimeGuards.evaluate(probe: machine.probe).map(\.kind.rawValue)
        #expect(
            kinds == ["tracer", "preload", "preload", "preload", "virtualization", "virtualization", "virtualization"])
    }

    @Test("containers are found from the cgroup of pid 1 and $container too")
    func containers() throws {
        let machine = try FakeMachine()
        try machine.write("/proc/1/cgroup", "0::/kubepods/besteffort/pod1234\n")
        #expect(RuntimeGuards.evaluate(probe: machine.probe).map(\.kind) == [.virtualization])
        try machine.write("/proc/1/cgroup", "0::/\n")
        machine.environment["container"] = "podman"
        #expect(RuntimeGuards.evaluate(probe: machine.probe).map(\.kind) == [.virtualization])
    }

    @Test(
        "policy: deny refuses before any key is unwrapped, warn reports, allow is silent",
        arguments: [GuardAction.deny, .warn, .allow])
    func traced(action: GuardAction) throws {
        let machine = try FakeMachine()
        let vendor = try Vendor()
        let model = try vendor.model()
        var terms = LicenseTerms(customer: "ACME")
        terms.guards.tracer = action
        let license = try vendor.issue(try machine.request(vendor: vendor), models: [model.sealed], terms: terms)
        try machine.write("/proc/self/status", "Name:\tpython\nTracerPid:\t777\n")
        let file = try SealedFile(MemorySource(model.sealed))
        switch action {
        case .deny:
            // Deleting the machine key proves nothing was unwrapped: the guard fails first.
            try run("rm -rf '\(machine.directory.path)'")
            #expect(throws: LicenseError.guardDenied(["tracer: process is traced by pid 777"])) {
                try machine.validator.authorize(license, for: file, use: .memory)
            }
        case .warn:
            #expect(try machine.validator.authorize(license, for: file, use: .memory).warnings.map(\.kind) == [.tracer])
        case .allow:
            #expect(try machine.validator.authorize(license, for: file, use: .memory).warnings.isEmpty)
        }
    }

    /// Issue 13.6: `ld-linux-x86-64.so.2 --preload x.so modelseal ...` sets no LD_PRELOAD; the process
    /// image is then the loader. A normal image (python loading torch with dlopen) is not flagged.
    @Test("a process started through the dynamic loader is a preload finding")
    func loaderInvocationIsPreload() throws {
        let machine = try FakeMachine()
        try machine.symlink("/proc/self/exe", to: "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
        let findings = RuntimeGuards.evaluate(probe: machine.probe)
        #expect(findings.map(\.kind) == [.preload])
        #expect(findings.first?.detail.contains("dynamic loader") == true)
        let normal = try FakeMachine()
        try normal.symlink("/proc/self/exe", to: "/usr/bin/python3.11")
        #expect(RuntimeGuards.evaluate(probe: normal.probe).isEmpty)
        for loader in ["/lib/ld-musl-x86_64.so.1", "/lib/ld-linux-aarch64.so.1", "/usr/bin/ld.so"] {
            #expect(RuntimeGuards.isDynamicLoader(loader), "\(loader)")
        }
        #expect(!RuntimeGuards.isDynamicLoader("/usr/local/bin/modelseal"))
    }

    @Test("preload denied by policy")
    func preloadDenied() throws {
        let machine = try FakeMachine()
        let vendor = try Vendor()
        let model = try vendor.model()
        var terms = LicenseTerms(customer: "ACME")
        terms.guards.preload = .deny
        let license = try vendor.issue(try machine.request(vendor: vendor), models: [model.sealed], terms: terms)
        machine.environment["LD_PRELOAD"] = "/usr/lib/libdump.so"
        #expect(throws: LicenseError.guardDenied(["preload: LD_PRELOAD=/usr/lib/libdump.so"])) {
            try licensedOpen(model.sealed, license: license, on: machine)
        }
    }

    @Test("core dumps are off after a licensed open begins")
    func coreDumps() {
        SecretMemory.disableCoreDumps()
        #expect(!SecretMemory.isDumpable)
        var buffer: [UInt8] = [1, 2, 3]
        SecretMemory.wipe(&buffer)
        #expect(buffer == [0, 0, 0])
    }
}
