extension FingerprintSource {
    /// Serial numbers of the machine's block devices, as the kernel exposes them without privileges:
    /// `/sys/block/<name>/serial` (virtio), else `device/serial` (NVMe, some SCSI), else `device/wwid`,
    /// for each device with a `device` link (loop, zram and device-mapper devices have none).
    static let disk = FingerprintSource(
        name: "disk",
        stability: "changes when a disk is replaced or added; absent where the kernel shows no serial without "
            + "root (SATA disks: the serial needs an ioctl) and in most containers",
        read: { probe in
            guard let names = probe.listDirectory("/sys/block") else { return nil }
            var serials: Set<String> = []
            for name in names where probe.readLink("/sys/block/\(name)/device") != nil {
                let candidates = [
                    "/sys/block/\(name)/serial", "/sys/block/\(name)/device/serial",
                    "/sys/block/\(name)/device/wwid",
                ]
                if let serial = candidates.lazy.compactMap({ probe.text($0) }).first { serials.insert(serial) }
            }
            return serials.isEmpty ? nil : Array(serials.sorted().joined(separator: ",").utf8)
        })

    /// DMI serial numbers and the product UUID (`product_serial`, `board_serial`, `product_uuid` in
    /// `/sys/class/dmi/id/`): high entropy, but readable by root only on most systems.
    static let dmiSerial = FingerprintSource(
        name: "dmi-serial",
        stability: "stable on physical machines; readable by root only (a request made as root counts it as "
            + "changed when another user opens); VMs report what the hypervisor sets",
        read: { probe in
            let fields = ["product_serial", "board_serial", "product_uuid"].map {
                probe.text("/sys/class/dmi/id/\($0)") ?? ""
            }
            return fields.allSatisfy(\.isEmpty) ? nil : Array(fields.joined(separator: "\n").utf8)
        })
}
