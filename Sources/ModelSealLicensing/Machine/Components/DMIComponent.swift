extension FingerprintSource {
    /// World-readable DMI (SMBIOS) fields: system and board vendor and name.
    ///
    /// Serial numbers and the product UUID are readable by root only; using them would make the
    /// fingerprint depend on who runs the command, so they are left out.
    static let dmi = FingerprintSource(
        name: "dmi",
        stability: "stable on physical machines; in VMs it names the hypervisor (identical across all VMs of a "
            + "cloud instance type); absent where /sys/class/dmi is not exposed",
        read: { probe in
            let fields = ["sys_vendor", "product_name", "board_vendor", "board_name"].map {
                probe.text("/sys/class/dmi/id/\($0)") ?? ""
            }
            return fields.allSatisfy(\.isEmpty) ? nil : Array(fields.joined(separator: "\n").utf8)
        })
}
