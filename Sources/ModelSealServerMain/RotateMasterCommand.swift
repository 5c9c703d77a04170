import ArgumentParser
import ModelSealCore
import ModelSealServer

#if canImport(Glibc)
    import Glibc
#endif

extension ServerCommand.Key {
    struct RotateMaster: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-master",
            abstract: "Re-wrap every stored file key and server key under a new master key, in one transaction.",
            discussion: """
                Stop every server process on the database first (a running server keeps the key it started \
                with). The current key comes from --master-key-file, $MODELSEAL_SERVER_MASTER_KEY or the default \
                file beside the database, as for the server; the new one from --new-master-key-file (made, mode \
                0600, when it does not exist). Either every secret is re-wrapped or none is. Afterwards the old \
                key opens nothing: when the old key was the default file, the new file replaces it; otherwise \
                start the server with --master-key-file NEW and destroy the old key (docs/SERVER.md §Rotation).

                Example:
                  modelseal-server key rotate-master --db sqlite:keys.db --master-key-file old.key \\
                      --new-master-key-file new.key
                """)

        @OptionGroup var database: DatabaseOptions

        @Option(help: ArgumentHelp("File with the new master key (made when missing).", valueName: "FILE"))
        var newMasterKeyFile: String

        func run() async throws {
            let server = try await KeyServer.start(
                database: database.db, masterKeyFile: database.masterKeyFile, adminToken: nil)
            let count = try await server.rotateMasterKey(newKeyFile: newMasterKeyFile)
            try await server.store.close()
            ServerCommand.writeError("modelseal-server: \(count) secret(s) re-wrapped under \(newMasterKeyFile)")
            let environment = ProcessEnvironment.value(ServerKeys.masterKeyVariable) ?? ""
            guard database.masterKeyFile == nil, environment.isEmpty, database.db.hasPrefix("sqlite:") else {
                ServerCommand.writeError(
                    "modelseal-server: start the server with --master-key-file \(newMasterKeyFile); the old key "
                        + "opens nothing now")
                return
            }
            let defaultFile = String(database.db.dropFirst("sqlite:".count)) + ".master-key"
            guard rename(newMasterKeyFile, defaultFile) == 0 else {
                ServerCommand.writeError(
                    "modelseal-server: cannot move \(newMasterKeyFile) over \(defaultFile) "
                        + "(\(String(cString: strerror(errno)))): start the server with --master-key-file "
                        + "\(newMasterKeyFile)")
                throw ExitCode(1)
            }
            ServerCommand.writeError("modelseal-server: \(defaultFile) now holds the new master key")
        }
    }
}
