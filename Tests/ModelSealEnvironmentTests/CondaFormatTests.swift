import Testing

@testable import ModelSealEnvironment

@Suite("conda formats: environment.yml, explicit specs, conda-meta records")
struct CondaFormatTests {
    @Test("`conda env export` YAML parses: name, channels in order, specs, the pip list")
    func environmentYML() throws {
        let spec = try EnvironmentYAML.parse(Array(Fixtures.environmentYML.utf8))
        #expect(spec.source == "environment.yml")
        #expect(spec.name == "pytorch-crypto")
        #expect(spec.channels == ["pytorch", "nvidia", "defaults"])
        #expect(spec.dependencies.count == 8)
        #expect(spec.dependencies[4] == "python=3.10.13=h955ad1f_0")
        #expect(spec.pip == ["cryptography==41.0.7", "numpy==1.26.2"])
    }

    @Test("hand-written variants: items at the key's indentation, quotes, comments, ---, variables, CRLF")
    func variants() throws {
        let text = """
            ---
            # the vendor's environment
            name: "prod env"
            channels:
            - conda-forge   # first
            - 'defaults'
            dependencies:
            - python=3.11
            - pytorch::pytorch>=2.1
            - pip:
              - "torch==2.1.0+cu118"
            variables:
              MKL_NUM_THREADS: "1"

            """.replacingOccurrences("\n", "\r\n")
        let spec = try EnvironmentYAML.parse(Array(text.utf8))
        #expect(spec.name == "prod env")
        #expect(spec.channels == ["conda-forge", "defaults"])
        #expect(spec.dependencies == ["python=3.11", "pytorch::pytorch>=2.1"])
        #expect(spec.pip == ["torch==2.1.0+cu118"])
    }

    @Test(
        "YAML outside the subset is refused with its line",
        arguments: [
            ("name: a\ndependencies:\n\t- python\n", 3),
            ("name: &anchor a\ndependencies:\n  - python\n", 1),
            ("name: a\ndependencies:\n  - *alias\n", 3),
            ("name: a\ndependencies: [python, numpy]\n", 2),
            ("name: a\nchannels: {a: b}\ndependencies:\n  - python\n", 2),
            ("name: a\nname: b\ndependencies:\n  - python\n", 2),
            ("name: a\nbuild: x\ndependencies:\n  - python\n", 2),
            ("name: a\ndependencies:\n  - - nested\n", 3),
            ("name: 'unterminated\ndependencies:\n  - python\n", 1),
            ("name: |\n  block\ndependencies:\n  - python\n", 1),
            ("name: a\ndependencies:\n  - conda:\n    - x\n", 3),
            ("name: a\ndependencies:\n  - python\n ---\n", 4),
            ("name: a\ndependencies:\n  - python\n---\nname: b\n", 4),
            ("name: a\ndependencies:\n  - python\n    - numpy\n", 4),
            ("  name: a\n", 1),
            ("name: a\n", 0),
            ("%YAML 1.2\nname: a\ndependencies:\n  - python\n", 1),
            ("name: !!str a\ndependencies:\n  - python\n", 1),
        ])
    func malformedYAML(_ testCase: (String, Int)) {
        #expect {
            try EnvironmentYAML.parse(Array(testCase.0.utf8))
        } throws: { error in
            guard case .malformedYAML(let line, _) = error as? EnvironmentError else { return false }
            return line == testCase.1
        }
    }

    @Test("YAML that is not UTF-8 or over the cap is refused")
    func yamlBytes() {
        #expect(throws: EnvironmentError.self) { try EnvironmentYAML.parse([0x6E, 0x61, 0xFF, 0x3A]) }
        #expect(throws: EnvironmentError.self) {
            try EnvironmentYAML.parse([UInt8](repeating: 0x23, count: EnvironmentYAML.maximumLength + 1))
        }
    }

    @Test("`conda list --explicit` parses: platform, packages from URLs, channels from URLs")
    func explicit() throws {
        #expect(ExplicitSpec.recognizes(Array(Fixtures.explicitSpec.utf8)))
        #expect(!ExplicitSpec.recognizes(Array(Fixtures.environmentYML.utf8)))
        let spec = try ExplicitSpec.parse(Array(Fixtures.explicitSpec.utf8))
        #expect(spec.subdir == "linux-64")
        #expect(spec.packages.map(\.name) == ["_libgcc_mutex", "python", "pytorch", "pytorch-cuda"])
        #expect(
            spec.packages[2]
                == .init(name: "pytorch", version: "2.1.0", build: "py3.10_cuda11.8_cudnn8.7.0_0", channel: "pytorch"))
        #expect(spec.packages[1].channel == "pkgs/main")
    }

    @Test(
        "malformed explicit specs are refused",
        arguments: [
            "https://repo.anaconda.com/pkgs/main/linux-64/python-3.10.13-h955ad1f_0.conda\n",
            "@EXPLICIT\n@EXPLICIT\n",
            "@EXPLICIT\nnot a url\n",
            "@EXPLICIT\nhttps://x/linux-64/python-3.10.13.conda\n",
            "@EXPLICIT\nhttps://x/linux-64/python-3.10.13-h1.zip\n",
            "# platform: linux-64\n",
        ])
    func malformedExplicit(text: String) {
        #expect(throws: EnvironmentError.self) { try ExplicitSpec.parse(Array(text.utf8)) }
    }

    @Test("conda-meta records: the fields we read, channel names from URLs and names")
    func condaRecords() throws {
        let record = Fixtures.condaRecord(
            name: "python", version: "3.10.13", build: "h955ad1f_0",
            channel: "https://repo.anaconda.com/pkgs/main/linux-64")
        let (package, subdir) = try CondaMeta.record(Array(record.utf8), path: "python.json")
        #expect(package == .init(name: "python", version: "3.10.13", build: "h955ad1f_0", channel: "pkgs/main"))
        #expect(subdir == "linux-64")
        #expect(
            CondaMeta.channelName("https://conda.anaconda.org/conda-forge/noarch", subdir: "noarch") == "conda-forge")
        #expect(CondaMeta.channelName("conda-forge", subdir: "linux-64") == "conda-forge")
        #expect(CondaMeta.channelName("pkgs/main", subdir: nil) == "pkgs/main")
    }

    @Test(
        "malformed conda records are refused",
        arguments: [
            "[]", "{\"name\":\"a\",\"version\":\"1\"}", "{\"name\":1,\"version\":\"1\",\"build\":\"b\"}", "{",
            "{\"name\":\"\",\"version\":\"1\",\"build\":\"b\"}",
        ])
    func malformedRecord(text: String) {
        #expect(throws: EnvironmentError.self) { try CondaMeta.record(Array(text.utf8), path: "x.json") }
    }
}
