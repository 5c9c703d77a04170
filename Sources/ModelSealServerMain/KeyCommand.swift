import ArgumentParser
import ModelSealCore
import ModelSealServer

extension ServerCommand {
    struct Key: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The server's own keys: rotate the lease-signing key or the master key.",
            subcommands: [RotateSigning.self, RotateMaster.self])
    }
}

extension ServerCommand.Key {
    struct RotateSigning: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-signing",
            abstract: "Replace the lease-signing key; the old key signs a statement naming the new one.",
            discussion: """
                Makes a new Ed25519 signing key and records, in one transaction with an audit entry, a statement \
                signed by the current key that the new key replaces it (docs/SERVER.md §Rotation). GET /v1/server \
                serves every such statement: a client that pinned an earlier key at activation moves its pin to \
                the new key only along a chain of statements starting at its pinned key, and refuses any other \
                key. Restart every server process on the database afterwards: a running server signs with the \
                key it loaded at start. Prints the statement as JSON.

                Example:
                  modelseal-server key rotate-signing --db sqlite:keys.db
                """)

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let server = try await KeyServer.start(
                database: database.db, masterKeyFile: database.masterKeyFile, pkcs11Module: database.pkcs11Module,
                adminToken: nil)
            let rotation = try await KeyRotationStore.rotate(
                store: server.store, keys: server.keys, actor: "server", now: KeyServer.systemClock())
            try await server.store.close()
            print(JSONWriter.serialize(rotation.json, pretty: true))
            ServerCommand.writeError(
                "modelseal-server: the signing key is now \(Base64.encode(rotation.nextKey)); restart the server")
        }
    }
}
