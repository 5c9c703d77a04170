import ModelSealCore

/// Name and version of installed distributions, read from `*.dist-info/METADATA` or
/// `*.egg-info/PKG-INFO` (core metadata, RFC 822-style headers) without importing anything.
enum DistributionMetadata {
    /// Bytes read from a METADATA file: the headers come first; the description after them is skipped.
    static let headerReadLimit = 64 << 10

    /// The distribution described by the metadata directory (or egg-info file) `entry` in `directory`.
    static func read(directory: String, entry: String) throws(EnvironmentError) -> EnvironmentLock.Distribution? {
        let path = directory + "/" + entry
        let metadataPath: String
        if entry.hasSuffix(".dist-info") {
            metadataPath = path + "/METADATA"
        } else if entry.hasSuffix(".egg-info") {
            metadataPath = FileKind(path) == .directory ? path + "/PKG-INFO" : path
        } else {
            return nil
        }
        guard let (bytes, truncated) = SmallFile.prefix(metadataPath, limit: headerReadLimit) else {
            // pip leaves dist-info without METADATA only when an install was interrupted; python ignores it too.
            return nil
        }
        var name: String? = nil
        var version: String? = nil
        var sawEnd = false
        var lineStart = 0
        var index = 0
        while index <= bytes.count {
            if index == bytes.count || bytes[index] == 0x0A {
                var line = bytes[lineStart..<index]
                if line.last == 0x0D { line = line.dropLast() }
                if line.isEmpty {
                    sawEnd = true
                    break
                }
                if let colon = line.firstIndex(of: UInt8(ascii: ":")), line.first != 0x20, line.first != 0x09 {
                    let key = String(decoding: line[line.startIndex..<colon], as: UTF8.self).lowercased()
                    let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingSpaces
                    if key == "name", name == nil { name = value }
                    if key == "version", version == nil { version = value }
                }
                lineStart = index + 1
                if name != nil && version != nil { break }
            }
            index += 1
        }
        if truncated && !sawEnd && (name == nil || version == nil) {
            throw .malformedDistribution(
                path: metadataPath, reason: "no Name/Version in the first \(headerReadLimit) bytes")
        }
        guard let name, !name.isEmpty, let version, !version.isEmpty else {
            throw .malformedDistribution(path: metadataPath, reason: "missing Name or Version header")
        }
        let normalized = DistributionName.normalize(name)
        guard DistributionName.isNormalized(normalized), version.utf8.count <= 256,
            version.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        else {
            throw .malformedDistribution(
                path: metadataPath, reason: "name '\(name)' or version '\(version)' is not valid")
        }
        return .init(name: normalized, version: version)
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" && $0 != "\r" }),
            let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" && $0 != "\r" })
        else { return "" }
        return String(scalars[first...last])
    }
}
