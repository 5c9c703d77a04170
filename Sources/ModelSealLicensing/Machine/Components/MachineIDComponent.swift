extension FingerprintSource {
    /// `/etc/machine-id` (systemd; 128 random bits made at install time): the strongest component.
    static let machineID = FingerprintSource(
        name: "machine-id",
        stability: "stable across reboots and hardware changes; changes on OS reinstall; container images often share "
            + "one copy (or have none), and cloned VM images share it until regenerated",
        read: { probe in
            guard let text = probe.text("/etc/machine-id") ?? probe.text("/var/lib/dbus/machine-id") else { return nil }
            return Array(text.lowercased().utf8)
        })
}
