import ModelSealCore

/// Reads what is installed in a Python environment from its files, importing nothing.
///
/// Given an interpreter (`venv/bin/python`) or an environment folder (a venv or conda prefix):
/// - the prefix: the folder holding `pyvenv.cfg` next to or above `bin/`, else the interpreter's
///   resolved `../..`;
/// - the version: `pyvenv.cfg` (`version`/`version_info`), else conda's `python` record, else by
///   running the interpreter once with `-I -S` (`InterpreterQuery`);
/// - the platform: the interpreter binary's ELF / Mach-O header (`ExecutableFormat`);
/// - distributions: `lib/pythonX.Y/site-packages`, the folders its `.pth` files add, and, with
///   `include-system-site-packages = true`, the base interpreter's site-packages, in that order
///   (the first of a name wins, as on `sys.path`). User site-packages are not read (`-I` semantics).
public enum PythonEnvironmentProbe {
    /// Most `.dist-info`/`.egg-info` entries read.
    public static let maximumDistributions = EnvironmentLock.maximumEntries
    /// Installer tooling that is never part of a contract: present in every venv at whatever version.
    public static let tooling: Set<String> = ["pip", "setuptools", "wheel", "distribute"]

    /// Where the environment lives.
    public struct Location: Sendable, Equatable {
        /// The interpreter binary as given or found.
        public let interpreter: String
        /// The environment's prefix.
        public let prefix: String
        /// `pyvenv.cfg` facts, when a venv.
        let venv: [String: String]?
    }

    /// The environment of `python` (an interpreter or a prefix folder); `nil` means the active one:
    /// `$VIRTUAL_ENV`, else `$CONDA_PREFIX`, else `python3` on `$PATH`.
    public static func locate(_ python: String?, environment: [String: String]) throws(EnvironmentError) -> Location {
        var given = python
        if given == nil { given = environment["VIRTUAL_ENV"] ?? environment["CONDA_PREFIX"] }
        if given == nil {
            for directory in (environment["PATH"] ?? "/usr/bin").split(separator: ":") {
                let candidate = String(directory) + "/python3"
                if FileKind(candidate) == .file {
                    given = candidate
                    break
                }
            }
        }
        guard let given else { throw .probeFailed("no Python given (--python PATH) and none active or on PATH") }
        var interpreter = Paths.absolute(given)
        switch FileKind(interpreter) {
        case .directory:
            let prefix = interpreter
            guard
                let found = ["python3", "python"].map({ prefix + "/bin/" + $0 }).first(where: {
                    FileKind($0) == .file
                })
            else {
                throw .probeFailed("\(prefix) has no bin/python3: give the environment's folder or its interpreter")
            }
            interpreter = found
        case .file: break
        case .missing: throw .probeFailed("\(given) does not exist")
        case .other, .symbolicLink: throw .probeFailed("\(given) is not an interpreter or an environment folder")
        }
        if let location = venvLocation(interpreter) { return location }
        let resolved = Paths.resolved(interpreter) ?? interpreter
        if SmallFile.prefix(resolved, limit: 2)?.bytes == Array("#!".utf8) {
            // A launcher script (a pyenv shim, a wrapper exec'ing python): ask it which binary it runs.
            let executable = try InterpreterQuery.query(interpreter: interpreter).executable
            let target = Paths.resolved(executable) ?? executable
            guard executable.hasPrefix("/"), FileKind(target) == .file,
                SmallFile.prefix(target, limit: 2)?.bytes != Array("#!".utf8)
            else {
                throw .probeFailed(
                    "\(given) is a script that did not name the Python binary it runs (sys.executable '\(executable)'): "
                        + "give that binary or its environment folder with --python")
            }
            if let location = venvLocation(executable) { return location }
            return Location(
                interpreter: executable, prefix: Paths.directory(of: Paths.directory(of: target)), venv: nil)
        }
        return Location(interpreter: interpreter, prefix: Paths.directory(of: Paths.directory(of: resolved)), venv: nil)
    }

    /// The venv of `interpreter`: `pyvenv.cfg` next to it or in the folder above.
    static func venvLocation(_ interpreter: String) -> Location? {
        let binDirectory = Paths.directory(of: interpreter)
        for candidate in [binDirectory, Paths.directory(of: binDirectory)] {
            if let (bytes, _) = SmallFile.prefix(candidate + "/pyvenv.cfg", limit: 64 << 10) {
                return Location(interpreter: interpreter, prefix: candidate, venv: configuration(bytes))
            }
        }
        return nil
    }

    /// `key = value` lines of `pyvenv.cfg`.
    static func configuration(_ bytes: [UInt8]) -> [String: String] {
        var result: [String: String] = [:]
        for line in TextLines.split(bytes) {
            guard let equals = line.firstIndex(of: "=") else { continue }
            result[String(line[..<equals]).trimmingSpaces.lowercased()] =
                String(line[line.index(after: equals)...]).trimmingSpaces
        }
        return result
    }

    /// Captures the environment at `location`; `spec` is an environment.yml or explicit spec to record.
    public static func capture(
        _ location: Location, spec: EnvironmentLock.CondaSpec? = nil
    ) throws(EnvironmentError) -> EnvironmentLock {
        let conda = try CondaMeta.records(prefix: location.prefix)
        let version = try pythonVersion(location, condaPackages: conda?.packages ?? [])
        guard let minor = VersionText(version).majorMinor, VersionText(version).release.count == 3 else {
            throw .probeFailed("cannot tell the Python version of \(location.interpreter)")
        }
        guard
            let head = SmallFile.prefix(
                Paths.resolved(location.interpreter) ?? location.interpreter, limit: ExecutableFormat.probeLength),
            let platform = ExecutableFormat.platform(of: head.bytes)
        else {
            throw .probeFailed("\(location.interpreter) is not an executable this probe understands (ELF, Mach-O)")
        }
        let implementation =
            Paths.baseName(Paths.resolved(location.interpreter) ?? location.interpreter).hasPrefix("pypy")
            ? "pypy" : "cpython"
        let directories = siteDirectories(location, minor: minor)
        guard !directories.isEmpty else {
            throw .probeFailed(
                "no lib/python\(minor)/site-packages (nor Debian's dist-packages) under \(location.prefix)")
        }
        var byName: [String: (EnvironmentLock.Distribution, String)] = [:]
        var count = 0
        for directory in directories {
            for entry in ((try? Directory.entries(directory)) ?? [])
            where entry.hasSuffix(".dist-info") || entry.hasSuffix(".egg-info") {
                count += 1
                guard count <= maximumDistributions else {
                    throw .probeFailed("more than \(maximumDistributions) distributions under \(location.prefix)")
                }
                guard let distribution = try DistributionMetadata.read(directory: directory, entry: entry) else {
                    continue
                }
                if byName[distribution.name] == nil, !tooling.contains(distribution.name) {
                    byName[distribution.name] = (distribution, directory)
                }
            }
        }
        let distributions = byName.values.map(\.0).sorted { $0.name < $1.name }
        var torch: EnvironmentLock.TorchBuild? = nil
        if let (_, directory) = byName["torch"] {
            torch = TorchBuildInfo.read(
                siteDirectory: directory, distributions: distributions, condaPackages: conda?.packages ?? [])
        }
        var condaFacts: EnvironmentLock.Conda? = nil
        if conda != nil || spec != nil {
            condaFacts = .init(subdir: conda?.subdir ?? spec?.subdir, packages: conda?.packages ?? [], spec: spec)
        }
        return EnvironmentLock(
            python: .init(implementation: implementation, version: version), platform: platform,
            distributions: distributions,
            torch: torch, conda: condaFacts)
    }

    static func pythonVersion(_ location: Location, condaPackages: [EnvironmentLock.CondaPackage])
        throws(EnvironmentError) -> String
    {
        if let venv = location.venv {
            for key in ["version", "version_info"] {
                if let text = venv[key] {
                    let release = VersionText(text).release
                    if release.count >= 3 { return release.prefix(3).map(String.init).joined(separator: ".") }
                }
            }
        }
        if let python = condaPackages.first(where: { $0.name == "python" }),
            VersionText(python.version).release.count == 3
        {
            return python.version
        }
        return try InterpreterQuery.version(interpreter: location.interpreter)
    }

    /// site-packages folders in `sys.path` order.
    static func siteDirectories(_ location: Location, minor: String) -> [String] {
        var result: [String] = []
        func add(_ directory: String) {
            guard FileKind(directory) == .directory, !result.contains(directory) else { return }
            result.append(directory)
            // .pth files: each line that is not a comment or an `import` names a folder to add.
            for name in ((try? Directory.entries(directory)) ?? []) where name.hasSuffix(".pth") {
                guard let (bytes, _) = SmallFile.prefix(directory + "/" + name, limit: 64 << 10) else { continue }
                for line in TextLines.split(bytes) {
                    let entry = line.trimmingSpaces
                    if entry.isEmpty || entry.hasPrefix("#") || entry.hasPrefix("import ")
                        || entry.hasPrefix("import\t")
                    {
                        continue
                    }
                    let path = entry.hasPrefix("/") ? entry : directory + "/" + entry
                    if FileKind(path) == .directory, !result.contains(path), result.count < 64 {
                        result.append(path)
                    }
                }
            }
        }
        if location.venv != nil {
            add(location.prefix + "/lib/python\(minor)/site-packages")
        } else {
            for directory in systemSiteDirectories(prefix: location.prefix, minor: minor) { add(directory) }
        }
        if let venv = location.venv, venv["include-system-site-packages"]?.lowercased() == "true",
            let home = venv["home"]
        {
            for directory in systemSiteDirectories(prefix: Paths.directory(of: home), minor: minor) { add(directory) }
        }
        return result
    }

    /// The site folders of an installed (not venv) Python at `prefix`, in `sys.path` order:
    /// `lib/pythonX.Y/site-packages`, and Debian's layout (`/usr/local/lib/pythonX.Y/dist-packages`,
    /// `/usr/lib/python3/dist-packages`, `/usr/lib/pythonX.Y/dist-packages`), where `site.py` is
    /// patched to read `dist-packages` instead. Folders that do not exist are skipped by the caller.
    static func systemSiteDirectories(prefix: String, minor: String) -> [String] {
        var result = [prefix + "/lib/python\(minor)/site-packages"]
        if FileKind(prefix + "/lib/python3/dist-packages") == .directory {
            result += [prefix + "/local/lib/python\(minor)/dist-packages", prefix + "/lib/python3/dist-packages"]
            result.append(prefix + "/lib/python\(minor)/dist-packages")
        }
        return result
    }
}
