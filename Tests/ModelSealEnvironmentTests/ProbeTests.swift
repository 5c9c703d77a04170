import Foundation
import Testing

@testable import ModelSealEnvironment

@Suite("Reading environments from their files")
struct ProbeTests {
    @Test("a venv: version from pyvenv.cfg, platform from the ELF header, METADATA names normalized, tooling left out")
    func venv() throws {
        let root = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let python = Fixtures.venv(
            at: root + "/venv",
            distributions: [
                ("Scikit_Learn", "1.5.0"), ("numpy", "2.4.6"), ("pip", "24.0"), ("nvidia-cudnn-cu12", "9.1.0.70"),
            ],
            torch: ("2.3.0+cu121", "12.1"))
        Fixtures.write(
            "Metadata-Version: 1.1\nName: legacy.pkg\nVersion: 0.9\n\n",
            to: root + "/venv/lib/python3.11/site-packages/legacy.pkg-0.9-py3.11.egg-info")
        let location = try PythonEnvironmentProbe.locate(python, environment: [:])
        #expect(location.prefix == root + "/venv")
        let lock = try PythonEnvironmentProbe.capture(location)
        #expect(lock.python == .init(implementation: "cpython", version: "3.11.7"))
        #expect(lock.platform == .init(system: "linux", machine: "x86_64"))
        #expect(
            lock.distributions.map(\.name) == ["legacy-pkg", "numpy", "nvidia-cudnn-cu12", "scikit-learn", "torch"])
        #expect(
            lock.torch
                == .init(
                    version: "2.3.0+cu121", cuda: "12.1", cudnn: "9.1.0.70",
                    gitVersion: "d0f2af8b66b20da4baa50644c0cd3f887a2eae2e", hip: nil))
        #expect(lock.conda == nil)
        // Equal environments give byte-identical locks.
        #expect(
            try PythonEnvironmentProbe.capture(PythonEnvironmentProbe.locate(root + "/venv", environment: [:]))
                .canonicalBytes() == lock.canonicalBytes())
    }

    @Test("an aarch64 interpreter is seen as linux-aarch64 without running it")
    func otherMachine() throws {
        let root = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let python = Fixtures.venv(at: root + "/venv", machine: 0xB7, distributions: [("numpy", "1.0")])
        let lock = try PythonEnvironmentProbe.capture(try PythonEnvironmentProbe.locate(python, environment: [:]))
        #expect(lock.platform == .init(system: "linux", machine: "aarch64"))
    }

    @Test(".pth folders and system site-packages are read in sys.path order; the first of a name wins")
    func pathOrder() throws {
        let root = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let python = Fixtures.venv(at: root + "/venv", distributions: [("numpy", "2.3.5")])
        Fixtures.distInfo(in: root + "/shared", name: "numpy", version: "2.4.6")
        Fixtures.distInfo(in: root + "/shared", name: "safetensors", version: "0.6.0")
        Fixtures.write(
            "# shared\nimport os\n\(root)/shared\n", to: root + "/venv/lib/python3.11/site-packages/shared.pth")
        let lock = try PythonEnvironmentProbe.capture(try PythonEnvironmentProbe.locate(python, environment: [:]))
        #expect(
            lock.distributions == [
                .init(name: "numpy", version: "2.3.5"), .init(name: "safetensors", version: "0.6.0"),
            ])
    }

    @Test("a conda prefix: records, subdir, python version from its record, cuDNN from conda, the spec recorded")
    func conda() throws {
        let root = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let prefix = root + "/envs/prod"
        try FileManager.default.createDirectory(atPath: prefix + "/bin", withIntermediateDirectories: true)
        #expect(
            FileManager.default.createFile(
                atPath: prefix + "/bin/python3.10", contents: Fixtures.elfHeader(machine: 0x3E)))
        try FileManager.default.createSymbolicLink(atPath: prefix + "/bin/python", withDestinationPath: "python3.10")
        let main = "https://repo.anaconda.com/pkgs/main/linux-64"
        for (name, version, build, channel) in [
            ("python", "3.10.13", "h955ad1f_0", main), ("mkl", "2023.1.0", "h213fc3f_46344", main),
            ("cudnn", "8.9.2.26", "cuda11_0", "https://conda.anaconda.org/conda-forge/linux-64"),
            ("pytorch", "2.1.0", "py3.10_cuda11.8_cudnn8.7.0_0", "https://conda.anaconda.org/pytorch/linux-64"),
        ] {
            Fixtures.write(
                Fixtures.condaRecord(name: name, version: version, build: build, channel: channel),
                to: prefix + "/conda-meta/\(name)-\(version)-\(build).json")
        }
        Fixtures.write("==> 2024-01-01 <==\n", to: prefix + "/conda-meta/history")
        let site = prefix + "/lib/python3.10/site-packages"
        Fixtures.distInfo(in: site, name: "torch", version: "2.1.0")
        Fixtures.write(
            "__version__ = '2.1.0'\ncuda = '11.8'\ngit_version = '7bcf7da3a268b435777fe87c7794c382f444e86d'\nhip = None\n",
            to: site + "/torch/version.py")
        let spec = try EnvironmentYAML.parse(Array(Fixtures.environmentYML.utf8))
        let lock = try PythonEnvironmentProbe.capture(
            try PythonEnvironmentProbe.locate(prefix, environment: [:]), spec: spec)
        #expect(lock.python.version == "3.10.13")
        #expect(lock.conda?.subdir == "linux-64")
        #expect(lock.conda?.packages.map(\.name) == ["cudnn", "mkl", "python", "pytorch"])
        #expect(lock.conda?.packages.first?.channel == "conda-forge")
        #expect(lock.torch?.cudnn == "8.9.2.26")
        #expect(lock.torch?.cuda == "11.8")
        #expect(lock.conda?.spec == spec)
    }

    @Test("unreadable environments fail clearly")
    func failures() throws {
        let root = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(throws: EnvironmentError.self) {
            try PythonEnvironmentProbe.locate(root + "/missing", environment: [:])
        }
        #expect(throws: EnvironmentError.self) { try PythonEnvironmentProbe.locate(root, environment: [:]) }
        // A METADATA without Version.
        let python = Fixtures.venv(at: root + "/venv", distributions: [])
        Fixtures.write(
            "Metadata-Version: 2.1\nName: broken\n\nbody\n",
            to: root + "/venv/lib/python3.11/site-packages/broken-1.dist-info/METADATA")
        #expect {
            try PythonEnvironmentProbe.capture(PythonEnvironmentProbe.locate(python, environment: [:]))
        } throws: { error in
            if case .malformedDistribution = error as? EnvironmentError { return true }
            return false
        }
        // Not an executable.
        let other = Fixtures.venv(at: root + "/venv2", distributions: [])
        #expect(FileManager.default.createFile(atPath: other, contents: Data("#!/bin/sh\n".utf8)))
        #expect(throws: EnvironmentError.self) {
            try PythonEnvironmentProbe.capture(PythonEnvironmentProbe.locate(other, environment: [:]))
        }
    }

    @Test("torch/version.py assignments: strings and None only")
    func versionFile() {
        let facts = TorchBuildInfo.assignments(
            "__version__ = '2.1.0'\ncuda: Optional[str] = \"11.8\"\nhip = None\ndebug = False\nx = f()\n")
        #expect(facts["__version__"] == .some("2.1.0"))
        #expect(facts["cuda"] == .some("11.8"))
        #expect(facts["hip"] == .some(nil))
        #expect(facts["debug"] == nil)
        #expect(facts["x"] == nil)
    }
}
