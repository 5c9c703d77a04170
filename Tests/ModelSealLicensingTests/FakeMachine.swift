import ContainerEngine
import ContainerFormat
import Crypto
import ModelSealCore
import ModelSealSigning

@testable import ModelSealLicensing

#if canImport(Glibc)
    import Glibc
#endif

/// A fake machine: a temporary directory tree mimicking what the probes read (`/etc/machine-id`,
/// `/proc/cpuinfo`, `/sys/class/net/*`, `/sys/class/dmi/id/*`, the root file system's UUID link,
/// `/proc/self/status`), plus its own licensing folder and clock.
final class FakeMachine: @unchecked Sendable {
    let root: String
    var environment: [String: String] = [:]
    var now: Int64
    let directory: LicensingDirectory
    /// The records folder outside the licensing folder (spec/LICENSING.md §7).
    let records: LicenseRecords

    /// The values each component is built from.
    struct Identity {
        var machineID = "0123456789abcdef0123456789abcdef"
        var cpu = "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz"
        var mac = "52:54:00:12:34:56"
        var rootUUID = "1b2c3d4e-0000-4000-8000-00000000abcd"
        var product = "PowerEdge R750"
    }

    init(_ identity: Identity = Identity(), now: Int64 = 1_800_000_000) throws {
        var template = Array("/tmp/modelseal-machine-XXXXXX".utf8CString)
        guard
            let made = template.withUnsafeMutableBufferPointer({ buffer in buffer.baseAddress.flatMap { mkdtemp($0) } })
        else {
            throw LicenseError.io("mkdtemp failed")
        }
        root = String(cString: made)
        self.now = now
        directory = LicensingDirectory(path: root + "/licensing")
        records = LicenseRecords(path: root + "/records")
        try set(identity)
        try write("/proc/self/status", "Name:\tpython\nTracerPid:\t0\n")
        try write("/proc/1/cgroup", "0::/\n")
    }

    deinit { _ = try? run("rm -rf '\(root)'") }

    /// Rewrites every component from `identity`.
    func set(_ identity: Identity) throws {
        try write("/etc/machine-id", identity.machineID + "\n")
        try write("/proc/cpuinfo", "processor\t: 0\nmodel name\t: \(identity.cpu)\nflags\t\t: fpu sse2\n\n")
        try write("/sys/class/net/eth0/address", identity.mac + "\n")
        try symlink("/sys/class/net/eth0/device", to: "../../../devices/pci0000:00/0000:00:03.0")
        try write("/sys/class/net/lo/address", "00:00:00:00:00:00\n")
        try write("/sys/class/net/veth1/address", "aa:bb:cc:dd:ee:ff\n")  // virtual: no device link
        try write("/proc/self/mountinfo", "27 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n")
        try write("/sys/class/block/sda1/dev", "8:1\n")
        _ = try? run("rm -rf '\(root)/dev/disk/by-uuid'")
        try symlink("/dev/disk/by-uuid/\(identity.rootUUID)", to: "../../sda1")
        try write("/sys/class/dmi/id/sys_vendor", "Dell Inc.\n")
        try write("/sys/class/dmi/id/product_name", identity.product + "\n")
        try write("/sys/class/dmi/id/board_vendor", "Dell Inc.\n")
        try write("/sys/class/dmi/id/board_name", "0PJ7YJ\n")
    }

    var probe: FilesystemProbe { FilesystemProbe(root: root, environment: environment) }

    var validator: LicenseValidator {
        let time = now
        return LicenseValidator(directory: directory, records: records, probe: probe, clock: { time })
    }

    func fingerprint(vendor: [UInt8]?, version: FingerprintVersion = .v2) -> Fingerprint {
        Fingerprint(probe: probe, vendorKeyID: vendor, version: version)
    }

    func request(vendor: Vendor, tolerance: Int = 1) throws -> LicenseRequest {
        try LicenseRequest.create(
            vendorKeyID: vendor.keyID, tolerance: tolerance, label: "test", directory: directory, probe: probe, now: now
        )
    }

    func write(_ path: String, _ text: String) throws {
        let full = root + path
        try AtomicFiles.makeDirectory(String(full[..<(full.lastIndex(of: "/") ?? full.endIndex)]))
        try AtomicFiles.write(Array(text.utf8), to: full, mode: 0o644)
    }

    func remove(_ path: String) { unlink(root + path) }

    func symlink(_ path: String, to target: String) throws {
        let full = root + path
        try AtomicFiles.makeDirectory(String(full[..<(full.lastIndex(of: "/") ?? full.endIndex)]))
        unlink(full)
        guard Glibc.symlink(target, full) == 0 else { throw LicenseError.io("symlink \(full)") }
    }

    /// Copies this machine's licensing folder (machine key and state) to `other`.
    func copyLicensingFolder(to other: FakeMachine) throws {
        try run("mkdir -p '\(other.directory.path)' && cp -a '\(directory.path)/.' '\(other.directory.path)/'")
    }
}

@discardableResult
func run(_ command: String) throws -> Int32 {
    let status = system(command)
    guard status == 0 else { throw LicenseError.io("\(command) exited \(status)") }
    return status
}

/// A vendor: a signing key and models sealed to a raw key it keeps.
struct Vendor {
    let signingKey: SigningKey
    let modelKey = RawKey.generate()

    init(_ algorithm: SignatureAlgorithm = .ed25519) throws {
        signingKey = try SigningKey.generate(algorithm)
    }

    var keyID: [UInt8] { signingKey.verifyingKey.keyID }

    /// A sealed model: its plaintext and sealed bytes.
    func model(_ size: Int = 70_000, seed: UInt8 = 1, extra: [Recipient] = []) throws -> (
        plain: [UInt8], sealed: [UInt8]
    ) {
        let plain = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
        var options = SealOptions()
        options.chunkLog2 = 16
        let sink = MemorySink()
        _ = try Sealer.seal(MemorySource(plain), to: sink, recipients: [modelKey] + extra, options: options)
        return (plain, sink.bytes)
    }

    func issue(
        _ request: LicenseRequest, models: [[UInt8]], terms: LicenseTerms = LicenseTerms(customer: "ACME"),
        licenseKey: LicenseKey = .generate(), now: Int64 = 1_800_000_000
    ) throws -> SignedLicense {
        let unlocked = try models.enumerated().map { index, sealed in
            (file: try SealedFile(MemorySource(sealed)).unlock(with: [modelKey]), name: "model\(index).mseal")
        }
        return try LicenseIssuer.issue(
            request: request, models: unlocked, licenseKey: licenseKey, terms: terms, signingKey: signingKey,
            algorithm: signingKey.verifyingKey.defaultAlgorithm, now: now)
    }
}

/// Opens `sealed` the way `ModelOpener` does with a license: authorize, unlock, count, decrypt.
func licensedOpen(
    _ sealed: [UInt8], license: SignedLicense, on machine: FakeMachine, use: LicenseUse = .memory
) throws -> [UInt8] {
    let file = try SealedFile(MemorySource(sealed))
    let authorization = try machine.validator.authorize(license, for: file, use: use)
    let unlocked: UnlockedFile
    do {
        unlocked = try file.unlock(with: [authorization.identity])
    } catch SealError.noMatchingIdentity {
        throw authorization.wrongModel
    }
    try authorization.recordLoad()
    return try unlocked.plaintext()
}
