import ModelSealCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The only times the probe runs the interpreter: when no file states its full version (a system or
/// pyenv Python without `pyvenv.cfg` or conda records), and when the "interpreter" is a script that
/// starts one (a pyenv shim), to learn which binary it runs.
///
/// It runs `python -I -S -c 'import sys; print(...)'`: isolated mode (no environment variables, no
/// user site, no current directory on the path) and no `site` import, so no installed package's
/// code (no `.pth` hook) runs; it prints only the version and `sys.executable`.
enum InterpreterQuery {
    static let script = "import sys; print('%d.%d.%d' % sys.version_info[:3]); print(sys.executable)"
    /// Longest output read.
    static let outputLimit = 4096 + 64

    /// The interpreter's `major.minor.micro` version.
    static func version(interpreter: String) throws(EnvironmentError) -> String {
        try query(interpreter: interpreter).version
    }

    /// The interpreter's version and the binary it runs (`sys.executable`, absolute; empty when Python
    /// cannot tell).
    static func query(interpreter: String) throws(EnvironmentError) -> (version: String, executable: String) {
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw .probeFailed("cannot create a pipe") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        posix_spawn_file_actions_addclose(&actions, pipeEnds[0])
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let arguments = [interpreter, "-I", "-S", "-c", script]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var environment: [UnsafeMutablePointer<CChar>?] = [strdup("LC_ALL=C"), nil]
        defer { for pointer in environment { free(pointer) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, interpreter, &actions, nil, &argv, &environment)
        close(pipeEnds[1])
        defer { close(pipeEnds[0]) }
        guard spawned == 0 else {
            throw .probeFailed("cannot run \(interpreter): \(IOError.text(of: spawned))")
        }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while output.count < outputLimit {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(pipeEnds[0], $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            output += buffer.prefix(count)
        }
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        let lines = String(decoding: output.prefix(outputLimit), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false).map { String($0).trimmingSpaces }
        let text = lines.first ?? ""
        guard status == 0, VersionText(text).release.count == 3 else {
            throw .probeFailed("\(interpreter) -I -S did not print its version")
        }
        return (text, lines.count > 1 ? lines[1] : "")
    }
}
