import ModelSealCore

/// `conda list --explicit [--md5]` output:
///
/// ```
/// # This file may be used to create an environment using:
/// # $ conda create --name <env> --file <this file>
/// # platform: linux-64
/// @EXPLICIT
/// https://repo.anaconda.com/pkgs/main/linux-64/python-3.10.13-h955ad1f_0.conda#<md5>
/// ```
/// Every non-comment line after `@EXPLICIT` is a package URL whose file name is
/// `NAME-VERSION-BUILD.conda` or `.tar.bz2`, optionally followed by `#md5` or `#sha256:…`.
public enum ExplicitSpec {
    /// Largest spec file accepted.
    public static let maximumLength = 4 << 20

    /// True when `text` looks like an explicit spec (an `@EXPLICIT` line) rather than YAML.
    public static func recognizes(_ bytes: [UInt8]) -> Bool {
        TextLines.split(bytes.prefix(64 << 10)).contains { $0.trimmingSpaces == "@EXPLICIT" }
    }

    /// Parses a spec.
    public static func parse(_ bytes: [UInt8]) throws(EnvironmentError) -> EnvironmentLock.CondaSpec {
        guard bytes.count <= maximumLength else {
            throw .malformedExplicitSpec(line: 0, reason: "larger than \(maximumLength) bytes")
        }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw .malformedExplicitSpec(line: 0, reason: "not UTF-8")
        }
        var subdir: String? = nil
        var explicit = false
        var packages: [EnvironmentLock.CondaPackage] = []
        var urls: [String] = []
        for (index, rawLine) in TextLines.split(bytes).enumerated() {
            let number = index + 1
            let line = rawLine.trimmingSpaces
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                let comment = String(line.dropFirst()).trimmingSpaces
                if comment.hasPrefix("platform:") {
                    subdir = String(comment.dropFirst("platform:".count)).trimmingSpaces
                }
                continue
            }
            if line == "@EXPLICIT" {
                guard !explicit else { throw .malformedExplicitSpec(line: number, reason: "a second @EXPLICIT") }
                explicit = true
                continue
            }
            guard explicit else {
                throw .malformedExplicitSpec(line: number, reason: "a package before the @EXPLICIT line")
            }
            let url = line.split(separator: "#", maxSplits: 1).first.map(String.init) ?? line
            guard url.hasPrefix("https://") || url.hasPrefix("http://") || url.hasPrefix("file://") else {
                throw .malformedExplicitSpec(line: number, reason: "not a package URL: '\(line.prefix(80))'")
            }
            let file = Paths.baseName(url)
            let stem: Substring
            if file.hasSuffix(".conda") {
                stem = file.dropLast(".conda".count)
            } else if file.hasSuffix(".tar.bz2") {
                stem = file.dropLast(".tar.bz2".count)
            } else {
                throw .malformedExplicitSpec(line: number, reason: "'\(file)' is not a .conda or .tar.bz2 package")
            }
            let parts = stem.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count >= 3, parts.allSatisfy({ !$0.isEmpty }) else {
                throw .malformedExplicitSpec(line: number, reason: "'\(file)' is not NAME-VERSION-BUILD")
            }
            let directory = Paths.directory(of: url)
            let packageSubdir = Paths.baseName(directory)
            packages.append(
                .init(
                    name: parts.dropLast(2).joined(separator: "-"), version: String(parts[parts.count - 2]),
                    build: String(parts[parts.count - 1]),
                    channel: CondaMeta.channelName(directory, subdir: packageSubdir)))
            urls.append(url)
            guard packages.count <= EnvironmentLock.maximumEntries else {
                throw .malformedExplicitSpec(
                    line: number, reason: "more than \(EnvironmentLock.maximumEntries) packages")
            }
        }
        guard explicit else { throw .malformedExplicitSpec(line: 0, reason: "no @EXPLICIT line") }
        return .init(
            source: "explicit", name: nil, channels: [], dependencies: urls, pip: [], packages: packages, subdir: subdir
        )
    }
}
