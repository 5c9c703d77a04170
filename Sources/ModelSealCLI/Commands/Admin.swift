import ArgumentParser
import ContainerEngine
import ModelSealCore
import ModelSealLicensing
import ModelSealServerClient

extension ModelSeal {
    /// `modelseal admin`: the vendor's side of the key server's admin API.
    struct Admin: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "admin",
            abstract: "The vendor's key server: models, licenses, revocation.",
            discussion: """
                The vendor's side of the key server (`modelseal server` runs it). The admin token comes from $MODELSEAL_ADMIN_TOKEN, never from the command line. The admin API \
                is on the server's --admin-listen address, or its --listen address when that is loopback \
                (docs/SERVER.md).

                Examples:
                  export MODELSEAL_ADMIN_TOKEN=$(cat admin.token) URL=http://127.0.0.1:8443
                  modelseal admin --server $URL model add --name m --key-env MODEL_KEY m.mseal
                  modelseal admin --server $URL license add --customer ACME --model m \\
                      --max-machines 5 --max-loads 1000 --expires 2027-12-31 --json
                  modelseal admin --server $URL license revoke lic_...
                """,
            subcommands: [
                AdminModel.self, AdminLicense.self, AdminMachine.self, AdminAudit.self, AdminUser.self, AdminToken.self,
            ])

        @Option(help: ArgumentHelp("The key server's admin address.", valueName: "URL"))
        var server: String?

        @OptionGroup(title: "TLS (https:// servers: one of them is needed)") var tls: ServerTLSOptions

        /// Sends one admin call and returns its JSON answer; errors as the CLI reports them.
        func call(_ method: String, _ path: String, _ body: JSONValue? = nil) throws -> JSONValue {
            do {
                return try request(method, path, body)
            } catch {
                throw ServerKeyRelease.cliError(error)
            }
        }

        func request(_ method: String, _ path: String, _ body: JSONValue?) throws(ServerClientError) -> JSONValue {
            guard let server else { throw .usage("give --server URL: the key server's admin address") }
            return try Self.send(server: server, method, path, body, trust: try tls.trust())
        }

        /// One admin call to `server` with $MODELSEAL_ADMIN_TOKEN (also how `mark`/`seal --mark --registry URL`
        /// record in the server's registry). `trust` is how an https server's key is checked (`nil`: http only).
        static func send(
            server: String, _ method: String, _ path: String, _ body: JSONValue?, trust: TLSTrust? = nil
        ) throws(ServerClientError) -> JSONValue {
            guard let token = ProcessEnvironment.value("MODELSEAL_ADMIN_TOKEN"), !token.isEmpty else {
                throw .usage("set MODELSEAL_ADMIN_TOKEN to an admin token of the server")
            }
            let bytes = body.map { Array(JSONWriter.serialize($0).utf8) } ?? []
            let url = try ServerURL(server)
            if url.isTLS && (trust == nil || trust == .firstUse) {
                throw .usage("\(url): give --server-pin sha256:HEX (printed by modelseal-server) or --ca-file FILE")
            }
            let answer = try PlainHTTP.send(
                method, url, path: path, headers: [("Authorization", "Bearer " + token)], body: bytes, trust: trust)
            let value = try? JSONParser.parse(answer.body)
            guard (200..<300).contains(answer.status), let value else {
                throw .refused(
                    status: answer.status, code: value?["error"]?.stringValue ?? "http_\(answer.status)",
                    message: value?["message"]?.stringValue ?? "HTTP status \(answer.status)")
            }
            return value
        }

        static func print(_ value: JSONValue) { Terminal.writeOutput(JSONWriter.serialize(value, pretty: true) + "\n") }
    }

    struct AdminModel: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "model", abstract: "Models and their versions.", subcommands: [Add.self, List.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "add",
                abstract: "Add a sealed file as a version of a model (made when new); the server learns its key.",
                discussion: """
                    Opens FILE's header with your key (nothing is decrypted), wraps its file key to the server's \
                    intake key and sends that with the file id: the key never crosses the network in clear.

                    Example:
                      modelseal admin --server $URL model add --name m --key-env MODEL_KEY m.mseal
                    """)

            @ParentCommand var admin: Admin
            @Option(help: ArgumentHelp("The model's name.", valueName: "NAME")) var name: String
            @OptionGroup(title: "Keys that open FILE") var identities: IdentityOptions
            @Argument(help: ArgumentHelp("The sealed file.", valueName: "FILE.mseal")) var file: String

            func run() throws {
                try reportingErrors {
                    identities.applyPermissionPolicy()
                    let sealed = try SealedFile(try InputFile(path: file))
                    let unlocked = try sealed.unlock(with: try identities.resolve())
                    let info = try admin.call("GET", "/v1/server")
                    guard let intake = info["intake_key"]?.stringValue.flatMap({ Base64.decode($0) }) else {
                        throw CLIError(.malformed, "the server did not name its intake key")
                    }
                    let stanza = try unlocked.wrapFileKey(to: try X25519Recipient(rawRepresentation: intake))
                    do throws(ServerClientError) {
                        _ = try admin.request("POST", "/v1/admin/models", .object(["name": .string(name)]))
                    } catch .refused(409, _, _) {
                        // The model exists: the file becomes another version of it.
                    } catch {
                        throw ServerKeyRelease.cliError(error)
                    }
                    let answer = try admin.call(
                        "POST", "/v1/admin/models/\(name)/versions",
                        .object(["file_id": .string(sealed.fileID), "wrapped_key": .string(Base64.encode(stanza.body))])
                    )
                    Admin.print(answer)
                }
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "list", abstract: "List models.",
                discussion: "Example:\n  modelseal admin --server $URL model list")
            @ParentCommand var admin: Admin
            func run() throws { try reportingErrors { Admin.print(try admin.call("GET", "/v1/admin/models")) } }
        }
    }
}
