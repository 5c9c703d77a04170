extension FingerprintSource {
    /// Environment variable naming a host token file (the container and VM alternative).
    static let hostTokenVariable = "MODELSEAL_HOST_TOKEN_FILE"
    /// Default location of the host token.
    static let hostTokenDefaultPath = "/etc/modelseal/host-token"

    /// A secret token file the host mounts into containers or VMs (docs/LICENSING.md), read from
    /// `$MODELSEAL_HOST_TOKEN_FILE` or `/etc/modelseal/host-token`. It gives containers a stable
    /// component where machine-id, network and root-fs are missing or shared.
    static let hostToken = FingerprintSource(
        name: "host-token",
        stability: "as stable as the host keeps the file; the documented alternative in containers and VMs",
        read: { probe in
            let path = probe.environment(hostTokenVariable) ?? hostTokenDefaultPath
            return probe.text(path).map { Array($0.utf8) }
        })
}
