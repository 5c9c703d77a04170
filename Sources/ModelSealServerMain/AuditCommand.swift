import ArgumentParser
import ModelSealCore
import ModelSealServer

extension ServerCommand {
    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check or export the hash-chained audit log.", subcommands: [Verify.self, Head.self])
    }
}

extension ServerCommand.Audit {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every audit entry's hash; exit 1 at the first that does not follow.",
            discussion: """
                With --head FILE (from `audit head`), also check that the chain still holds that signed head: \
                anyone who can write the database can rebuild an unkeyed chain, but not the server's signature \
                over a head exported earlier.

                Example:
                  modelseal-server audit verify --db sqlite:keys.db --head head-2026-12-01.json
                """)

        @OptionGroup var database: DatabaseOptions

        @Option(help: ArgumentHelp("A signed head exported earlier by `audit head`.", valueName: "FILE"))
        var head: String?

        func run() async throws {
            let server = try await KeyServer.start(
                database: database.db, masterKeyFile: database.masterKeyFile, pkcs11Module: database.pkcs11Module,
                adminToken: nil)
            let expected = try head.map {
                try AuditHead(json: try JSONParser.parse(try SmallFile.read($0, limit: 65536)))
            }
            let result = try await AuditHead.verifyChain(server.store, expecting: expected, serverKey: server.keys)
            try await server.store.close()
            guard result.broken == nil else {
                ServerCommand.writeError(
                    "modelseal-server: audit chain BROKEN at entry \(result.broken ?? 0): an entry was edited, removed "
                        + "or reordered after it was written")
                throw ExitCode(1)
            }
            print("audit chain verifies: \(result.count) entries, head \(result.head.hash)")
        }
    }

    struct Head: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the audit log's head (last sequence number and hash) signed by the server's key, as JSON.",
            discussion: "Example:\n  modelseal-server audit head --db sqlite:keys.db > head-$(date +%F).json")

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let server = try await KeyServer.start(
                database: database.db, masterKeyFile: database.masterKeyFile, pkcs11Module: database.pkcs11Module,
                adminToken: nil)
            let result = try await AuditHead.verifyChain(server.store, expecting: nil, serverKey: server.keys)
            try await server.store.close()
            print(JSONWriter.serialize(try result.head.signed(by: server.keys).json, pretty: true))
        }
    }
}
