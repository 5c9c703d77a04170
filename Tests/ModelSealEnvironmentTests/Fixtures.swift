import Foundation

@testable import ModelSealEnvironment

/// Builders for environments on disk, shaped like what pip, venv and conda really write.
enum Fixtures {
    /// A fresh temporary folder.
    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "modelseal-env-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func write(_ text: String, to path: String) {
        try? FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        precondition(FileManager.default.createFile(atPath: path, contents: Data(text.utf8)), "cannot write \(path)")
    }

    /// An executable script at `path`, written by a child process (`install -m 755`). Written here, its write
    /// descriptor would be inherited by any process another test forks meanwhile, and running the script would
    /// then fail with ETXTBSY ("Text file busy") until that child execs: seen once in CI.
    static func writeExecutable(_ text: String, to path: String) {
        let source = path + ".source"
        write(text, to: source)
        defer { try? FileManager.default.removeItem(atPath: source) }
        let install = Process()
        install.executableURL = URL(fileURLWithPath: "/usr/bin/install")
        install.arguments = ["-m", "755", source, path]
        do { try install.run() } catch { preconditionFailure("cannot run install: \(error)") }
        install.waitUntilExit()
        precondition(install.terminationStatus == 0, "cannot install \(path)")
    }

    /// The first bytes of an ELF executable for `machine` (0x3E x86_64, 0xB7 aarch64).
    static func elfHeader(machine: UInt8) -> Data {
        var bytes = [UInt8](repeating: 0, count: 64)
        bytes[0...3] = [0x7F, 0x45, 0x4C, 0x46]
        bytes[4] = 2
        bytes[5] = 1
        bytes[6] = 1
        bytes[16] = 2
        bytes[18] = machine
        return Data(bytes)
    }

    /// A venv at `prefix` (pyvenv.cfg + bin/python + lib/python3.11/site-packages) with `distributions`.
    @discardableResult
    static func venv(
        at prefix: String, version: String = "3.11.7", machine: UInt8 = 0x3E, distributions: [(String, String)],
        torch: (version: String, cuda: String?)? = nil
    ) -> String {
        write(
            "home = /usr/bin\ninclude-system-site-packages = false\nversion = \(version)\nexecutable = /usr/bin/python3.11\n",
            to: prefix + "/pyvenv.cfg")
        try? FileManager.default.createDirectory(atPath: prefix + "/bin", withIntermediateDirectories: true)
        precondition(
            FileManager.default.createFile(atPath: prefix + "/bin/python", contents: elfHeader(machine: machine)))
        let site = prefix + "/lib/python3.11/site-packages"
        for (name, version) in distributions { distInfo(in: site, name: name, version: version) }
        if let torch {
            distInfo(in: site, name: "torch", version: torch.version)
            write(
                """
                from typing import Optional

                __all__ = ['__version__', 'debug', 'cuda', 'git_version', 'hip', 'rocm', 'xpu']
                __version__ = '\(torch.version)'
                debug = False
                cuda: Optional[str] = \(torch.cuda.map { "'\($0)'" } ?? "None")
                git_version = 'd0f2af8b66b20da4baa50644c0cd3f887a2eae2e'
                hip: Optional[str] = None
                rocm: Optional[str] = None
                xpu: Optional[str] = None

                """, to: site + "/torch/version.py")
        }
        return prefix + "/bin/python"
    }

    /// A `NAME-VERSION.dist-info/METADATA` as pip writes it (core metadata 2.1 headers, then a description).
    static func distInfo(in site: String, name: String, version: String) {
        let directory = site + "/" + name.replacingOccurrences(of: "-", with: "_") + "-" + version + ".dist-info"
        write(
            """
            Metadata-Version: 2.1
            Name: \(name)
            Version: \(version)
            Summary: A package
            Requires-Python: >=3.9
            Description-Content-Type: text/markdown

            # \(name)

            Name: not-a-header
            """, to: directory + "/METADATA")
        write("pip\n", to: directory + "/INSTALLER")
    }

    /// A conda-meta record as conda 23 writes it (abridged file lists, every field kind present).
    static func condaRecord(name: String, version: String, build: String, channel: String, subdir: String = "linux-64")
        -> String
    {
        """
        {
          "build": "\(build)",
          "build_number": 0,
          "channel": "\(channel)",
          "constrains": [],
          "depends": [
            "libgcc-ng >=11.2.0",
            "openssl >=3.0.12,<4.0a0"
          ],
          "extracted_package_dir": "/opt/conda/pkgs/\(name)-\(version)-\(build)",
          "features": "",
          "files": [
            "lib/lib\(name).so"
          ],
          "fn": "\(name)-\(version)-\(build).conda",
          "license": "BSD-3-Clause",
          "link": {
            "source": "/opt/conda/pkgs/\(name)-\(version)-\(build)",
            "type": 1
          },
          "md5": "0f4e1ba8e5a8f6d8b8f3a0c2b1e4d5c6",
          "name": "\(name)",
          "package_tarball_full_path": "/opt/conda/pkgs/\(name)-\(version)-\(build).conda",
          "paths_data": {
            "paths": [
              {
                "_path": "lib/lib\(name).so",
                "path_type": "hardlink",
                "sha256": "76f3b6e34feeb651aff33ca59e0279c4eadce5a50c6ad93b961c846f7ba717e9",
                "sha256_in_prefix": "76f3b6e34feeb651aff33ca59e0279c4eadce5a50c6ad93b961c846f7ba717e9",
                "size_in_bytes": 2067
              }
            ],
            "paths_version": 1
          },
          "requested_spec": "None",
          "sha256": "348e3602616c1fe4c84502b1d8cf97c740d886002c78edab176759610d287f06",
          "size": 27056345,
          "subdir": "\(subdir)",
          "timestamp": 1698846211000,
          "track_features": "",
          "url": "\(channel)/\(name)-\(version)-\(build).conda",
          "version": "\(version)"
        }

        """
    }

    /// `conda env export` output for the article's environment.
    static let environmentYML = """
        name: pytorch-crypto
        channels:
          - pytorch
          - nvidia
          - defaults
        dependencies:
          - _libgcc_mutex=0.1=main
          - _openmp_mutex=5.1=1_gnu
          - blas=1.0=mkl
          - mkl=2023.1.0=h213fc3f_46344
          - python=3.10.13=h955ad1f_0
          - pytorch=2.1.0=py3.10_cuda11.8_cudnn8.7.0_0
          - pytorch-cuda=11.8=h7e8668a_5
          - pip=23.3.1=py310h06a4308_0
          - pip:
              - cryptography==41.0.7
              - numpy==1.26.2
        prefix: /home/vendor/miniconda3/envs/pytorch-crypto

        """

    /// `conda list --explicit --md5` output.
    static let explicitSpec = """
        # This file may be used to create an environment using:
        # $ conda create --name <env> --file <this file>
        # platform: linux-64
        @EXPLICIT
        https://repo.anaconda.com/pkgs/main/linux-64/_libgcc_mutex-0.1-main.conda#c3473ff8bdb3d124ed5ff11ec380d6f9
        https://repo.anaconda.com/pkgs/main/linux-64/python-3.10.13-h955ad1f_0.conda#5c3c1a4e6a8a4c5b6d7e8f9a0b1c2d3e
        https://conda.anaconda.org/pytorch/linux-64/pytorch-2.1.0-py3.10_cuda11.8_cudnn8.7.0_0.tar.bz2#a1b2c3d4e5f60718293a4b5c6d7e8f90
        https://conda.anaconda.org/nvidia/linux-64/pytorch-cuda-11.8-h7e8668a_5.tar.bz2

        """

    /// A small lock for policy tests.
    static func lock(
        python: String = "3.11.7", platform: EnvironmentLock.Platform = .init(system: "linux", machine: "x86_64"),
        distributions: [(String, String)] = [("numpy", "2.4.6"), ("torch", "2.15.0+cu132")],
        cuda: String? = "13.2", conda: EnvironmentLock.Conda? = nil
    ) -> EnvironmentLock {
        let torch = distributions.first { $0.0 == "torch" }.map {
            EnvironmentLock.TorchBuild(version: $0.1, cuda: cuda, cudnn: nil, gitVersion: "abc", hip: nil)
        }
        return EnvironmentLock(
            python: .init(implementation: "cpython", version: python), platform: platform,
            distributions: distributions.map { .init(name: $0.0, version: $0.1) }.sorted { $0.name < $1.name },
            torch: torch,
            conda: conda)
    }
}
