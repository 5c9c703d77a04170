import Foundation
import Testing

@testable import ModelSealEnvironment

/// Real interpreters, not fixtures: Debian's `/usr/bin/python3` (dist-packages) and a launcher script
/// that execs it, the way a pyenv shim does.
@Suite("Capturing system Pythons and launcher scripts")
struct SystemInterpreterTests {
    static let python = "/usr/bin/python3"

    /// What Python itself reports as installed (importlib.metadata over sys.path, `-I` as the probe),
    /// normalized and without the tooling the probe leaves out.
    static func installedByPython() throws -> [String: String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [
            "-I", "-c",
            """
            import importlib.metadata as m, re
            seen = {}
            for d in m.distributions():
                n = re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower()
                seen.setdefault(n, d.version)
            for n, v in sorted(seen.items()): print(n, v)
            """,
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var result: [String: String] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2, !PythonEnvironmentProbe.tooling.contains(String(parts[0])) {
                result[String(parts[0])] = String(parts[1])
            }
        }
        return result
    }

    @Test("Debian's /usr/bin/python3: dist-packages are read, as Python itself lists them")
    func debianPython() throws {
        let lock = try PythonEnvironmentProbe.capture(try PythonEnvironmentProbe.locate(Self.python, environment: [:]))
        let expected = try Self.installedByPython()
        #expect(!expected.isEmpty)
        #expect(Dictionary(uniqueKeysWithValues: lock.distributions.map { ($0.name, $0.version) }) == expected)
    }

    @Test("a launcher script that execs python (a pyenv shim) is followed to the binary it runs")
    func launcherScript() throws {
        let root = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let shim = root + "/python3"
        Fixtures.writeExecutable(
            "#!/bin/sh\n# like a pyenv shim: find the real interpreter, exec it\nexec \(Self.python) \"$@\"\n", to: shim
        )
        let location = try PythonEnvironmentProbe.locate(shim, environment: [:])
        #expect(location.interpreter == Self.python)
        let lock = try PythonEnvironmentProbe.capture(location)
        let direct = try PythonEnvironmentProbe.capture(
            try PythonEnvironmentProbe.locate(Self.python, environment: [:]))
        #expect(lock == direct)
        // A script that runs something other than Python is refused with a message naming it.
        let liar = root + "/notpython"
        Fixtures.writeExecutable("#!/bin/sh\necho 3.11.2\necho relative/path\n", to: liar)
        #expect {
            try PythonEnvironmentProbe.locate(liar, environment: [:])
        } throws: { error in
            "\(error)".contains("did not name the Python binary")
        }
    }
}
