import ArgumentParser
import ModelSealCore

#if canImport(Glibc)
    import Glibc
#endif

extension ModelSeal {
    /// `modelseal server …`: runs `modelseal-server` with the same arguments when it is installed.
    struct Server: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "server",
            abstract: "Run the vendor's key server (modelseal-server, installed separately).",
            discussion: """
                The key server is its own program, so the customer's `modelseal` carries no web server or \
                database driver. This command runs `modelseal-server` from beside `modelseal` or from PATH \
                with the same arguments (`modelseal server --help` shows its help).

                Example:
                  MODELSEAL_ADMIN_TOKEN=$(cat admin.token) \\
                      modelseal server --db sqlite:k.db --listen 127.0.0.1:8443 --insecure-http
                """,
            shouldDisplay: false)

        @Argument(parsing: .captureForPassthrough, help: "Arguments for modelseal-server.")
        var arguments: [String] = []

        func run() throws {
            guard let program = Self.locate() else {
                throw CLIError(
                    .inputError,
                    "modelseal-server is not installed (not beside modelseal nor on PATH): "
                        + "build it with `swift build --product modelseal-server`")
            }
            let argv = [program] + arguments
            var pointers = argv.map { strdup($0) } + [nil]
            execv(program, &pointers)
            throw CLIError(.inputError, "cannot run \(program): \(String(cString: strerror(errno)))")
        }

        static func locate() -> String? {
            var buffer = [CChar](repeating: 0, count: 4096)
            let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
            if count > 0 {
                let path = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                let beside = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]) + "/modelseal-server"
                if access(beside, X_OK) == 0 { return beside }
            }
            for folder in (ProcessEnvironment.value("PATH") ?? "").split(separator: ":") {
                let candidate = String(folder) + "/modelseal-server"
                if access(candidate, X_OK) == 0 { return candidate }
            }
            return nil
        }
    }
}
