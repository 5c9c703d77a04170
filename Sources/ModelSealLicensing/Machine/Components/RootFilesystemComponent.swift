extension FingerprintSource {
    /// The UUID of the file system mounted at `/`, found without root: the root mount's device
    /// number from `/proc/self/mountinfo`, matched against the `/dev/disk/by-uuid` links.
    static let rootFilesystem = FingerprintSource(
        name: "root-fs",
        stability: "changes when the system disk is reformatted or replaced; absent in containers (overlay root) "
            + "and where udev does not populate /dev/disk/by-uuid",
        read: { probe in
            guard let mountinfo = probe.readFile("/proc/self/mountinfo").map({ String(decoding: $0, as: UTF8.self) })
            else { return nil }
            var device: String? = nil
            for line in mountinfo.split(separator: "\n") {
                let fields = line.split(separator: " ")
                if fields.count > 4, fields[4] == "/" { device = String(fields[2]) }  // the last mount on / wins
            }
            guard let device, let uuids = probe.listDirectory("/dev/disk/by-uuid") else { return nil }
            for uuid in uuids {
                guard let target = probe.readLink("/dev/disk/by-uuid/\(uuid)"),
                    let blockName = target.split(separator: "/").last,
                    probe.text("/sys/class/block/\(blockName)/dev") == device
                else { continue }
                return Array(uuid.lowercased().utf8)
            }
            return nil
        })
}
