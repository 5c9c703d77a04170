import ArgumentParser
import ModelSealCore
import ModelSealKit
import ModelSealLicensing

extension ModelSeal {
    struct AdminLicense: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "license", abstract: "Licenses: add, show, list, revoke.",
            subcommands: [Add.self, Show.self, List.self, Revoke.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "add",
                abstract: "Add a license of a customer (made when new) for a model; prints its id and token.",
                discussion: """
                    The token is shown once: send it to the customer, who activates with \
                    `modelseal activate --server URL --token-file FILE`. The server stores only its hash.

                    Example:
                      modelseal admin --server $URL license add --customer ACME --model m \\
                          --max-machines 5 --max-loads 1000 --expires 2027-12-31 --json
                      modelseal admin --server $URL license add --customer ACME --model m \\
                          --policy floating --max-machines 3 --lease-seconds 900 \\
                          --max-loads-per-day 500 --cooldown-seconds 86400
                    """)

            @ParentCommand var admin: Admin
            @Option(help: ArgumentHelp("The customer's name.", valueName: "NAME")) var customer: String
            @Option(help: ArgumentHelp("The model's name.", valueName: "NAME")) var model: String
            @Option(help: "Machines that may be active at once.") var maxMachines: Int = 1
            @Option(help: "Key releases allowed in all (default: unlimited).") var maxLoads: Int?
            @Option(help: ArgumentHelp("Last valid UTC day (YYYY-MM-DD) or an exclusive UTC time.", valueName: "DATE"))
            var expires: String?
            @Option(help: "Hours a lease lasts (a floating seat's TTL; the offline grace unless --grace-seconds).")
            var leaseHours: Int = 24
            @Option(help: "The lease TTL in seconds (instead of --lease-hours).") var leaseSeconds: Int?
            @Option(help: "node-locked (a machine keeps its slot) or floating (at most --max-machines live seats).")
            var policy: String = "node-locked"
            @Option(help: "Key releases allowed per UTC day.") var maxLoadsPerDay: Int?
            @Option(help: "Key releases allowed per UTC month.") var maxLoadsPerMonth: Int?
            @Option(help: "Seconds a cached release may be used after a network error (default: the lease TTL).")
            var graceSeconds: Int?
            @Option(help: "Seconds a customer-deactivated machine's slot stays held for that machine only.")
            var cooldownSeconds: Int = 0
            @Flag(help: "Print {\"id\", \"token\", ...} as JSON (the default prints the same).") var json = false

            func validate() throws {
                if maxMachines < 1 { throw ValidationError("--max-machines must be at least 1") }
                if let maxLoads, maxLoads < 0 { throw ValidationError("--max-loads must be 0 or more") }
                if let expires, LicenseTime.parse(expires) == nil {
                    throw ValidationError("--expires: use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)")
                }
                if leaseHours < 0 || leaseHours > 366 * 24 { throw ValidationError("--lease-hours must be 0...8784") }
                if !["node-locked", "floating"].contains(policy) {
                    throw ValidationError("--policy is node-locked or floating")
                }
                for (name, value) in [
                    ("--lease-seconds", leaseSeconds), ("--max-loads-per-day", maxLoadsPerDay),
                    ("--max-loads-per-month", maxLoadsPerMonth), ("--grace-seconds", graceSeconds),
                    ("--cooldown-seconds", Optional(cooldownSeconds)),
                ] where (value ?? 0) < 0 {
                    throw ValidationError("\(name) must be 0 or more")
                }
            }

            func run() throws {
                try reportingErrors(json: json) {
                    var body: JSONObject = [
                        ("customer", .string(customer)), ("model", .string(model)),
                        ("max_machines", .integer(maxMachines)),
                        ("lease_seconds", .integer(leaseSeconds ?? leaseHours * 3600)), ("policy", .string(policy)),
                        ("cooldown_seconds", .integer(cooldownSeconds)),
                    ]
                    if let maxLoads { body.append(("max_loads", .integer(maxLoads))) }
                    if let maxLoadsPerDay { body.append(("max_loads_per_day", .integer(maxLoadsPerDay))) }
                    if let maxLoadsPerMonth { body.append(("max_loads_per_month", .integer(maxLoadsPerMonth))) }
                    if let graceSeconds { body.append(("grace_seconds", .integer(graceSeconds))) }
                    if let expires, let time = LicenseTime.parse(expires) {
                        body.append(("expires_at", .integer(expires.count == 10 ? time + 86_400 : time)))
                    }
                    Admin.print(try admin.call("POST", "/v1/admin/licenses", .object(body)))
                }
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "show", abstract: "Show a license, its load count and its machines.",
                discussion: "Example:\n  modelseal admin --server $URL license show lic_...")
            @ParentCommand var admin: Admin
            @Argument(help: ArgumentHelp("The license id.", valueName: "ID")) var id: String
            func run() throws { try reportingErrors { Admin.print(try admin.call("GET", "/v1/admin/licenses/\(id)")) } }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "list", abstract: "List licenses.",
                discussion: "Example:\n  modelseal admin --server $URL license list")
            @ParentCommand var admin: Admin
            func run() throws { try reportingErrors { Admin.print(try admin.call("GET", "/v1/admin/licenses")) } }
        }

        struct Revoke: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "revoke",
                abstract: "Revoke a license: every later release and activation is refused.",
                discussion: """
                    Keys released before stay usable by whoever kept them (docs/SERVER.md, SECURITY.md).

                    Example:
                      modelseal admin --server $URL license revoke lic_...
                    """)
            @ParentCommand var admin: Admin
            @Argument(help: ArgumentHelp("The license id.", valueName: "ID")) var id: String
            func run() throws {
                try reportingErrors { Admin.print(try admin.call("POST", "/v1/admin/licenses/\(id)/revoke")) }
            }
        }
    }

    struct AdminMachine: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "machine", abstract: "Revoke one machine of a license.", subcommands: [Revoke.self])

        struct Revoke: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "revoke", abstract: "Revoke one machine; its slot is freed, it cannot activate again.",
                discussion: "Example:\n  modelseal admin --server $URL machine revoke mac_...")
            @ParentCommand var admin: Admin
            @Argument(help: ArgumentHelp("The machine id (mac_...).", valueName: "ID")) var id: String
            func run() throws {
                try reportingErrors { Admin.print(try admin.call("POST", "/v1/admin/machines/\(id)/revoke")) }
            }
        }
    }

    struct AdminAudit: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "audit", abstract: "Print audit entries after a sequence number (keyset paging).",
            discussion: "Example:\n  modelseal admin --server $URL audit --after 100 --limit 50")
        @ParentCommand var admin: Admin
        @Option(help: "Entries after this sequence number.") var after: Int = 0
        @Option(help: "At most this many entries (1...1000).") var limit: Int = 100
        func run() throws {
            try reportingErrors { Admin.print(try admin.call("GET", "/v1/admin/audit?after=\(after)&limit=\(limit)")) }
        }
    }

    struct AdminToken: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "token", abstract: "Admin tokens.", subcommands: [Rotate.self])

        struct Rotate: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "rotate",
                abstract: "Replace an admin's token (yours by default); prints the new one once, the old one stops.",
                discussion: """
                    The server stores only the new token's hash; the old token and that admin's console sessions \
                    stop working at once.

                    Example:
                      modelseal admin --server $URL token rotate > root.json
                      modelseal admin --server $URL token rotate --name alice > alice.json
                    """)
            @ParentCommand var admin: Admin
            @Option(help: ArgumentHelp("Another admin's name.", valueName: "NAME")) var name: String?
            func run() throws {
                try reportingErrors {
                    var body: JSONObject = []
                    if let name { body.append(("name", .string(name))) }
                    Admin.print(try admin.call("POST", "/v1/admin/token/rotate", .object(body)))
                }
            }
        }
    }

    struct AdminUser: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "user", abstract: "Named admins, so the audit says who did what.",
            subcommands: [Add.self, Password.self])

        /// Where a console password comes from: an environment variable or the terminal, never the command line.
        struct PasswordOptions: ParsableArguments {
            @Option(
                name: .customLong("password-env"),
                help: ArgumentHelp(
                    "Read the admin's console password (at least 12 characters) from this environment variable.",
                    valueName: "VAR"))
            var environment: String?

            @Flag(
                name: .customLong("password-prompt"),
                help: "Ask for the admin's console password on the terminal (echo off, asked twice).")
            var prompt = false

            func password() throws -> String? {
                if let environment {
                    guard let value = ProcessEnvironment.value(environment), !value.isEmpty else {
                        throw CLIError(.usage, "--password-env \(environment): the variable is unset or empty")
                    }
                    return value
                }
                return prompt ? try PassphrasePrompt.read(prompt: "Console password: ", confirm: true) : nil
            }
        }

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "add", abstract: "Add a named admin; prints its token once.",
                discussion: """
                    With --password-env VAR or --password-prompt the admin also gets a console password (the server \
                    keeps it as scrypt, log2 N = 15, r = 8, p = 1), for logging in at /console/login by name.

                    Examples:
                      modelseal admin --server $URL user add alice > alice.json
                      export ALICE_PASSWORD=...
                      modelseal admin --server $URL user add alice --password-env ALICE_PASSWORD
                    """)
            @ParentCommand var admin: Admin
            @Argument(help: ArgumentHelp("The admin's name.", valueName: "NAME")) var name: String
            @OptionGroup var passwordOptions: PasswordOptions
            func run() throws {
                try reportingErrors {
                    var body: JSONObject = [("name", .string(name))]
                    if let password = try passwordOptions.password() { body.append(("password", .string(password))) }
                    Admin.print(try admin.call("POST", "/v1/admin/admins", .object(body)))
                }
            }
        }

        struct Password: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "password", abstract: "Set or replace a named admin's console password.",
                discussion: """
                    Example:
                      modelseal admin --server $URL user password alice --password-prompt
                    """)
            @ParentCommand var admin: Admin
            @Argument(help: ArgumentHelp("The admin's name.", valueName: "NAME")) var name: String
            @OptionGroup var passwordOptions: PasswordOptions
            func run() throws {
                try reportingErrors {
                    guard let password = try passwordOptions.password() else {
                        throw CLIError(.usage, "give --password-env VAR or --password-prompt")
                    }
                    Admin.print(
                        try admin.call(
                            "POST", "/v1/admin/admins/\(name)/password", .object(["password": .string(password)])))
                }
            }
        }
    }
}
