extension FingerprintSource {
    /// The CPU model string (`model name` in `/proc/cpuinfo`; `CPU implementer`/`CPU part` on Arm).
    static let cpu = FingerprintSource(
        name: "cpu",
        stability: "stable; low entropy (shared by every machine of the same type); a VM may see a generic "
            + "model that changes after live migration to another host type",
        read: { probe in
            guard let text = probe.readFile("/proc/cpuinfo").map({ String(decoding: $0, as: UTF8.self) }) else {
                return nil
            }
            var fields: [String] = []
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2 else { continue }
                let key = String(parts[0]).trimmingWhitespace
                if ["model name", "CPU implementer", "CPU part"].contains(key), !fields.contains(key) {
                    fields.append(key)
                    fields.append(String(parts[1]).trimmingWhitespace)
                }
            }
            return fields.isEmpty ? nil : Array(fields.joined(separator: "\n").utf8)
        })
}
