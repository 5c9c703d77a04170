import Crypto
import Testing
import _CryptoExtras

@testable import ModelSealLicensing

@Suite("Fingerprint components on fake machines")
struct FingerprintTests {
    @Test("every component is read from its source; virtual NICs and zero MACs are skipped")
    func components() throws {
        let machine = try FakeMachine()
        // Version 1 hashes the raw values: they are what the component's material is.
        let fingerprint = machine.fingerprint(vendor: nil, version: .v1)
        #expect(fingerprint.components.map(\.name) == ["cpu", "dmi", "machine-id", "network", "root-fs"])
        #expect(fingerprint.missing == ["disk", "dmi-serial", "host-token"])
        let value = { (name: String) in
            String(decoding: fingerprint.component(named: name)?.material ?? [], as: UTF8.self)
        }
        #expect(value("network") == "52:54:00:12:34:56")
        #expect(value("root-fs") == "1b2c3d4e-0000-4000-8000-00000000abcd")
        #expect(value("machine-id") == "0123456789abcdef0123456789abcdef")
        #expect(value("cpu") == "model name\nIntel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz")
    }

    @Test("a container-like machine: no NIC device links, overlay root, no DMI")
    func container() throws {
        let machine = try FakeMachine()
        machine.remove("/sys/class/net/eth0/device")
        try machine.write("/proc/self/mountinfo", "1 0 0:50 / / rw - overlay overlay rw\n")
        try run("rm -rf '\(machine.root)/sys/class/dmi'")
        #expect(machine.fingerprint(vendor: nil).components.map(\.name) == ["cpu", "machine-id"])
    }

    @Test("a host token file is a component, from the default path or $MODELSEAL_HOST_TOKEN_FILE")
    func hostToken() throws {
        let machine = try FakeMachine()
        try machine.write("/etc/modelseal/host-token", "secret-token-1\n")
        #expect(machine.fingerprint(vendor: nil).component(named: "host-token") != nil)
        try machine.write("/run/secrets/token", "secret-token-2\n")
        machine.environment["MODELSEAL_HOST_TOKEN_FILE"] = "/run/secrets/token"
        let fingerprint = machine.fingerprint(vendor: nil, version: .v1)
        #expect(fingerprint.component(named: "host-token")?.material == Array("secret-token-2".utf8))
    }

    @Test("disk serials (virtio, NVMe, WWID) and root-only DMI serials are components where readable")
    func diskAndDMISerials() throws {
        let machine = try FakeMachine()
        try machine.write("/sys/block/vda/serial", "overlayblk\n")
        try machine.symlink("/sys/block/vda/device", to: "../../devices/virtio2")
        try machine.write("/sys/devices/nvme0/serial", "  S4EWNX0R123456  \n")
        try machine.symlink("/sys/block/nvme0n1/device", to: "../../devices/nvme0")
        try machine.write("/sys/devices/sdb/wwid", "naa.5000c500a1b2c3d4\n")
        try machine.symlink("/sys/block/sdb/device", to: "../../devices/sdb")
        try machine.write("/sys/block/loop0/serial", "not-a-disk\n")  // no device link: not a disk
        try machine.write("/sys/class/dmi/id/product_uuid", "4c4c4544-0042-3510-8052-b4c04f4e3732\n")
        let more = machine.fingerprint(vendor: nil, version: .v1)
        #expect(
            more.component(named: "disk")?.material
                == Array("S4EWNX0R123456,naa.5000c500a1b2c3d4,overlayblk".utf8))
        #expect(more.component(named: "dmi-serial")?.material == Array("\n\n4c4c4544-0042-3510-8052-b4c04f4e3732".utf8))
    }

    @Test("version 2 stretches every component with scrypt before hashing: an independent derivation agrees")
    func scryptStretch() throws {
        let machine = try FakeMachine()
        let vendor = try Vendor()
        let v1 = machine.fingerprint(vendor: vendor.keyID, version: .v1)
        let v2 = machine.fingerprint(vendor: vendor.keyID, version: .v2)
        #expect(v1.salt != v2.salt)
        for (raw, stretched) in zip(v1.components, v2.components) {
            let expected = try KDF.Scrypt.deriveKey(
                from: Array("modelseal/v2 fingerprint".utf8) + [0] + Array(raw.name.utf8) + [0] + raw.material,
                salt: v2.salt, outputByteCount: 32, rounds: 1 << 13, blockSize: 8, parallelism: 1)
            #expect(stretched.material == expected.withUnsafeBytes { Array($0) })
            #expect(v1.hash(of: raw) != v2.hash(of: stretched))
        }
    }

    @Test("hashes are salted per vendor, and no raw value appears in a request")
    func salting() throws {
        let machine = try FakeMachine()
        let one = try Vendor()
        let two = try Vendor()
        let a = machine.fingerprint(vendor: one.keyID)
        let b = machine.fingerprint(vendor: two.keyID)
        for (x, y) in zip(a.components, b.components) {
            #expect(a.hash(of: x) != b.hash(of: y))
        }
        let request = String(decoding: try machine.request(vendor: one).encoded, as: UTF8.self)
        for raw in ["0123456789abcdef", "52:54:00", "Xeon", "1b2c3d4e", "PowerEdge"] {
            #expect(!request.contains(raw))
        }
    }

    @Test("the request round-trips through its canonical encoding and rejects edits")
    func requestEncoding() throws {
        let machine = try FakeMachine()
        let request = try machine.request(vendor: try Vendor())
        #expect(try LicenseRequest(encoded: request.encoded) == request)
        var spaced = request.encoded
        spaced.insert(0x20, at: 1)
        #expect(throws: LicenseError.self) { try LicenseRequest(encoded: spaced) }
    }
}
