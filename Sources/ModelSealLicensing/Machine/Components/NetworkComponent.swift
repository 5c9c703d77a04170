extension FingerprintSource {
    /// MAC addresses of physical network interfaces (those with a `device` link in sysfs), sorted.
    ///
    /// Virtual interfaces (loopback, bridges, veth, tun, Docker's) have no `device` link and are
    /// skipped: their addresses are random or change with every container.
    static let network = FingerprintSource(
        name: "network",
        stability: "changes when a NIC is replaced or added; absent in containers (veth interfaces are virtual); "
            + "VMs get hypervisor-assigned MACs that change when the VM is recreated",
        read: { probe in
            guard let names = probe.listDirectory("/sys/class/net") else { return nil }
            var addresses: [String] = []
            for name in names where probe.readLink("/sys/class/net/\(name)/device") != nil {
                guard let address = probe.text("/sys/class/net/\(name)/address")?.lowercased(),
                    address != "00:00:00:00:00:00"
                else { continue }
                addresses.append(address)
            }
            return addresses.isEmpty ? nil : Array(Set(addresses).sorted().joined(separator: ",").utf8)
        })
}
