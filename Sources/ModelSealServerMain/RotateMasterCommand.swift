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
                file beside the database, as for the server; the new one from --new-master-key-file: a file (made, \
                mode 0600, when it does not exist) or a pkcs11: URI naming an AES-256 key on a token, so the same \
                command moves a database onto a token, off it, or to another token key. Either every secret is \
                re-wrapped or none is. Afterwards the old key opens nothing: when the old key was the default \
                file, a new file replaces it (a token key: the file is removed); otherwise start the server with \
                --master-key-file NEW and destroy the old key (docs/SERVER.md §Rotation).

                Examples:
                  modelseal-server key rotate-master --db sqlite:keys.db --master-key-file old.key \\
                      --new-master-key-file new.key
                  MODELSEAL_PKCS11_PIN=... modelseal-server key rotate-master --db sqlite:keys.db \\
                      --pkcs11-module /usr/lib/softhsm/libsofthsm2.so \\
                      --new-master-key-file 'pkcs11:token=server;object=master'
                """)

        @OptionGroup var database: DatabaseOptions

        @Option(
            name: [.customLong("new-master-key-file"), .customLong("new-master-key")],
            help: ArgumentHelp(
                "The new master key: a file (made when missing) or a pkcs11: URI of an AES-256 token key.",
                valueName: "FILE|URI"))
        var newMasterKeyFile: String

        func run() async throws {
            let server = try await KeyServer.start(
                database: database.db, masterKeyFile: database.masterKeyFile, pkcs11Module: database.pkcs11Module,
                adminToken: nil)
            let count: Int
            do {
                count = try await server.rotateMasterKey(newKey: newMasterKeyFile, pkcs11Module: database.pkcs11Module)
            } catch {
                try? await server.store.close()
                throw error
            }
            try await server.store.close()
            ServerCommand.writeError("modelseal-server: \(count) secret(s) re-wrapped under \(newMasterKeyFile)")
            try replaceDefaultFile()
        }

        /// When the old key was the default file beside a SQLite database, a new key file takes its place and a
        /// token key removes it (it opens nothing now); otherwise the server needs --master-key-file NEW.
        func replaceDefaultFile() throws {
            let environment = ProcessEnvironment.value(ServerKeys.masterKeyVariable) ?? ""
            guard database.masterKeyFile == nil, environment.isEmpty, database.db.hasPrefix("sqlite:") else {
                ServerCommand.writeError(
                    "modelseal-server: start the server with --master-key-file '\(newMasterKeyFile)'; the old key "
                        + "opens nothing now")
                return
            }
            let defaultFile = String(database.db.dropFirst("sqlite:".count)) + ".master-key"
            if MasterKey.isTokenReference(newMasterKeyFile) {
                guard unlink(defaultFile) == 0 else {
                    ServerCommand.writeError(
                        "modelseal-server: cannot remove \(defaultFile) (\(String(cString: strerror(errno)))): it "
                            + "opens nothing now; remove it and start the server with --master-key-file "
                            + "'\(newMasterKeyFile)'")
                    throw ExitCode(1)
                }
                ServerCommand.writeError(
                    "modelseal-server: removed \(defaultFile); start the server with --master-key-file "
                        + "'\(newMasterKeyFile)'")
                return
            }
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
