import ModelSealCore

/// Conda's package records: `PREFIX/conda-meta/<name>-<version>-<build>.json`, one per installed package.
///
/// conda writes them (`PrefixRecord`); we read `name`, `version`, `build`, `channel` (a URL or a
/// name; older records have `schannel`) and `subdir`, and ignore the rest (file lists, hashes).
public enum CondaMeta {
    /// The largest record read: python's lists every file it installed (a few MiB).
    public static let maximumRecordLength = 32 << 20
    /// Most records read from one environment.
    public static let maximumRecords = EnvironmentLock.maximumEntries

    /// The records of the conda environment at `prefix`, or `nil` when it has no `conda-meta/`.
    public static func records(prefix: String) throws(EnvironmentError) -> (
        packages: [EnvironmentLock.CondaPackage], subdir: String?
    )? {
        let directory = prefix + "/conda-meta"
        guard FileKind(directory) == .directory else { return nil }
        var packages: [EnvironmentLock.CondaPackage] = []
        var subdirs: [String: Int] = [:]
        for name in ((try? Directory.entries(directory)) ?? []) where name.hasSuffix(".json") {
            let path = directory + "/" + name
            guard let (bytes, truncated) = SmallFile.prefix(path, limit: maximumRecordLength) else {
                throw .malformedCondaRecord(path: path, reason: "unreadable")
            }
            if truncated { throw .malformedCondaRecord(path: path, reason: "larger than \(maximumRecordLength) bytes") }
            let (package, subdir) = try record(bytes, path: path)
            packages.append(package)
            if let subdir, subdir != "noarch" { subdirs[subdir, default: 0] += 1 }
            guard packages.count <= maximumRecords else {
                throw .malformedCondaRecord(path: directory, reason: "more than \(maximumRecords) records")
            }
        }
        packages.sort { $0.name < $1.name }
        for index in packages.indices.dropFirst() where packages[index - 1].name == packages[index].name {
            throw .malformedCondaRecord(path: directory, reason: "two records for package '\(packages[index].name)'")
        }
        let subdir = subdirs.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key
        return (packages, subdir)
    }

    /// One record's package and subdir.
    public static func record(_ bytes: [UInt8], path: String) throws(EnvironmentError) -> (
        EnvironmentLock.CondaPackage, String?
    ) {
        let value: JSONValue
        do throws(JSONError) {
            value = try JSONParser.parse(bytes)
        } catch {
            throw .malformedCondaRecord(path: path, reason: "not JSON: \(error)")
        }
        guard value.objectValue != nil else { throw .malformedCondaRecord(path: path, reason: "not a JSON object") }
        func field(_ key: String) throws(EnvironmentError) -> String {
            guard let text = value[key]?.stringValue, !text.isEmpty,
                text.utf8.count <= EnvironmentLock.maximumStringLength
            else { throw .malformedCondaRecord(path: path, reason: "'\(key)' missing or not a string") }
            return text
        }
        let subdir = value["subdir"]?.stringValue
        let channelText = value["channel"]?.stringValue ?? value["schannel"]?.stringValue ?? ""
        let package = EnvironmentLock.CondaPackage(
            name: try field("name"), version: try field("version"), build: try field("build"),
            channel: channelName(channelText, subdir: subdir))
        return (package, subdir)
    }

    /// A channel as a short name: `https://conda.anaconda.org/conda-forge/linux-64` → `conda-forge`,
    /// `https://repo.anaconda.com/pkgs/main/linux-64` → `pkgs/main`; names stay as they are.
    public static func channelName(_ text: String, subdir: String?) -> String {
        var rest = Substring(text)
        if let colon = rest.firstIndex(of: ":"), rest[colon...].hasPrefix("://") {
            rest = rest[rest.index(colon, offsetBy: 3)...]
            if let slash = rest.firstIndex(of: "/") { rest = rest[rest.index(after: slash)...] } else { rest = "" }
        }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        let knownSubdirs: Set<String> = [
            "noarch", "linux-64", "linux-aarch64", "linux-ppc64le", "linux-s390x", "osx-64", "osx-arm64", "win-64",
            "win-32",
        ]
        if let slash = rest.lastIndex(of: "/") {
            let last = String(rest[rest.index(after: slash)...])
            if last == subdir || knownSubdirs.contains(last) { rest = rest[..<slash] }
        }
        return rest.isEmpty ? "unknown" : String(rest)
    }
}
