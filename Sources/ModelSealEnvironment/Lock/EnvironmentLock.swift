/// What a Python environment is: the facts an environment contract pins (docs/ENVIRONMENT.md).
///
/// Encoded as canonical JSON (`CanonicalJSON`, RFC 8785 style) so it can be hashed, signed and
/// embedded in a sealed header; `EnvironmentLock+JSON.swift` holds the schema.
public struct EnvironmentLock: Sendable, Equatable {
    /// The schema name and version carried in the `schema` member.
    public static let schema = "modelseal-env/1"
    /// Most distributions (or conda packages) one lock may list.
    public static let maximumEntries = 10_000
    /// Longest string field, in bytes.
    public static let maximumStringLength = 4096

    /// The interpreter.
    public var python: Python
    /// Operating system and CPU the interpreter is built for.
    public var platform: Platform
    /// Every installed distribution, names normalized (PEP 503), sorted by name, unique.
    public var distributions: [Distribution]
    /// Build facts of the installed torch, when there is one.
    public var torch: TorchBuild?
    /// Conda facts, in a conda environment or when a spec was given.
    public var conda: Conda?

    /// A lock from its parts.
    public init(python: Python, platform: Platform, distributions: [Distribution], torch: TorchBuild?, conda: Conda?) {
        self.python = python
        self.platform = platform
        self.distributions = distributions
        self.torch = torch
        self.conda = conda
    }

    /// Interpreter facts.
    public struct Python: Sendable, Equatable {
        /// `cpython` or `pypy`.
        public var implementation: String
        /// `major.minor.micro`, e.g. `3.11.7`.
        public var version: String
        public init(implementation: String, version: String) {
            self.implementation = implementation
            self.version = version
        }
    }

    /// Where binaries of the environment run.
    public struct Platform: Sendable, Equatable, CustomStringConvertible {
        /// `linux`, `darwin` or `windows`.
        public var system: String
        /// `x86_64`, `aarch64`, `arm64`, ...
        public var machine: String
        public init(system: String, machine: String) {
            self.system = system
            self.machine = machine
        }
        public var description: String { "\(system)-\(machine)" }

        /// The platform a conda subdir (`linux-64`, `osx-arm64`, ...) names, or `nil` for `noarch`/unknown.
        public init?(condaSubdir: String) {
            switch condaSubdir {
            case "linux-64": self.init(system: "linux", machine: "x86_64")
            case "linux-aarch64": self.init(system: "linux", machine: "aarch64")
            case "linux-ppc64le": self.init(system: "linux", machine: "ppc64le")
            case "linux-s390x": self.init(system: "linux", machine: "s390x")
            case "osx-64": self.init(system: "darwin", machine: "x86_64")
            case "osx-arm64": self.init(system: "darwin", machine: "arm64")
            case "win-64": self.init(system: "windows", machine: "x86_64")
            default: return nil
            }
        }
    }

    /// One installed distribution.
    public struct Distribution: Sendable, Equatable {
        /// PEP 503 normalized name (`scikit-learn`, never `Scikit_Learn`).
        public var name: String
        /// The version exactly as its metadata states it (`2.15.0+cu132`).
        public var version: String
        public init(name: String, version: String) {
            self.name = name
            self.version = version
        }
    }

    /// What torch was built with, read from `torch/version.py` and the nvidia-* distributions.
    public struct TorchBuild: Sendable, Equatable {
        /// `torch.__version__`.
        public var version: String
        /// `torch.version.cuda` (the CUDA toolkit torch was built with), `nil` for CPU builds.
        public var cuda: String?
        /// The cuDNN runtime version (from `nvidia-cudnn-*` or conda's `cudnn`), when installed.
        public var cudnn: String?
        /// `torch.version.git_version`: the commit torch was built from.
        public var gitVersion: String?
        /// `torch.version.hip` for ROCm builds.
        public var hip: String?
        public init(version: String, cuda: String?, cudnn: String?, gitVersion: String?, hip: String?) {
            self.version = version
            self.cuda = cuda
            self.cudnn = cudnn
            self.gitVersion = gitVersion
            self.hip = hip
        }
    }

    /// One conda package record (`conda-meta/*.json`) or explicit-spec line.
    public struct CondaPackage: Sendable, Equatable {
        public var name: String
        public var version: String
        public var build: String
        /// Channel name (`conda-forge`, `pkgs/main`, `pytorch`), URL scheme and host removed.
        public var channel: String
        public init(name: String, version: String, build: String, channel: String) {
            self.name = name
            self.version = version
            self.build = build
            self.channel = channel
        }
    }

    /// Conda facts.
    public struct Conda: Sendable, Equatable {
        /// The environment's conda subdir (`linux-64`), when known.
        public var subdir: String?
        /// Records of `conda-meta/`, sorted by name (empty when only a spec was given).
        public var packages: [CondaPackage]
        /// The vendor's declared spec (`environment.yml` or explicit), when given with `--from`.
        public var spec: CondaSpec?
        public init(subdir: String?, packages: [CondaPackage], spec: CondaSpec?) {
            self.subdir = subdir
            self.packages = packages
            self.spec = spec
        }
    }

    /// A declared conda environment: `conda env export` YAML or `conda list --explicit`.
    public struct CondaSpec: Sendable, Equatable {
        /// `environment.yml` or `explicit`.
        public var source: String
        /// The `name:` of an environment.yml.
        public var name: String?
        /// `channels:` in order (priority matters to conda).
        public var channels: [String]
        /// Conda match specs as written (`python=3.10.13=h955ad1f_0`).
        public var dependencies: [String]
        /// pip requirement lines as written (`numpy==1.26.2`).
        public var pip: [String]
        /// An explicit spec's packages, parsed from their URLs.
        public var packages: [CondaPackage]
        /// An explicit spec's `# platform:` line (a conda subdir).
        public var subdir: String?
        public init(
            source: String, name: String?, channels: [String], dependencies: [String], pip: [String],
            packages: [CondaPackage], subdir: String?
        ) {
            self.source = source
            self.name = name
            self.channels = channels
            self.dependencies = dependencies
            self.pip = pip
            self.packages = packages
            self.subdir = subdir
        }
    }
}
