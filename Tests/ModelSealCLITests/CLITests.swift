import Foundation
import Testing

@Suite("modelseal command line", .serialized)
struct CLITests {
    let scratch: Scratch
    let key: String

    init() throws {
        scratch = try Scratch()
        let generated = try CLI.run(["keygen", "--symmetric"], in: scratch.url)
        #expect(generated.status == 0)
        key = generated.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        try scratch.write("model.pt", randomData(3 * 65536 + 17))
    }

    var keyEnv: [String: String] { ["MODEL_KEY": key] }

    @Test func helpTeachesAndListsExitCodes() throws {
        let help = try CLI.run(["--help"], in: scratch.url)
        #expect(help.status == 0)
        for text in ["seal", "open", "keygen", "inspect", "rekey", "Exit codes", "wrong key", "17"] {
            #expect(help.stdoutText.contains(text), "help lacks \(text)")
        }
        let sealHelp = try CLI.run(["seal", "--help"], in: scratch.url)
        #expect(sealHelp.stdoutText.contains("--key-env"))
        #expect(sealHelp.stdoutText.contains("Examples"))
    }

    @Test func rawKeyRoundTripThroughFiles() throws {
        let sealed = try CLI.run(
            ["seal", "--key-env", "MODEL_KEY", "--chunk-size", "64KiB", "-o", "m.mseal", "model.pt"],
            in: scratch.url, environment: keyEnv)
        #expect(sealed.status == 0, "\(sealed.stderr)")
        let opened = try CLI.run(
            ["open", "--key-env", "MODEL_KEY", "-o", "out.pt", "m.mseal"], in: scratch.url, environment: keyEnv)
        #expect(opened.status == 0, "\(opened.stderr)")
        #expect(try scratch.read("out.pt") == scratch.read("model.pt"))
        let attributes = try FileManager.default.attributesOfItem(atPath: scratch.path("out.pt"))
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test func identityRecipientsAndPipes() throws {
        let keygen = try CLI.run(["keygen", "-o", "customer.key"], in: scratch.url)
        #expect(keygen.status == 0)
        let recipient = keygen.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(recipient.hasPrefix("modelseal1"))
        let derived = try CLI.run(["keygen", "-y", "customer.key"], in: scratch.url)
        #expect(derived.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == recipient)
        try scratch.write("customers.txt", Data("# customers\n\n\(recipient)\r\n".utf8))
        let model = try scratch.read("model.pt")
        let sealed = try CLI.run(["seal", "-R", "customers.txt", "-o", "-", "-"], in: scratch.url, stdin: model)
        #expect(sealed.status == 0, "\(sealed.stderr)")
        try scratch.write("piped.mseal", sealed.stdout)
        let opened = try CLI.run(["open", "-i", "customer.key", "-o", "-", "-"], in: scratch.url, stdin: sealed.stdout)
        #expect(opened.status == 0, "\(opened.stderr)")
        #expect(opened.stdout == model)
        let checked = try CLI.run(["open", "-i", "customer.key", "--check", "--json", "piped.mseal"], in: scratch.url)
        #expect(checked.status == 0)
        #expect(checked.stdoutText.contains("\"verified\": true"))
    }

    @Test func passphraseFromEnvironment() throws {
        let env = ["PASS": "a long passphrase"]
        #expect(
            try CLI.run(
                ["seal", "--passphrase-env", "PASS", "--scrypt-log2n", "10", "-o", "p.mseal", "model.pt"],
                in: scratch.url, environment: env
            ).status == 0)
        #expect(
            try CLI.run(["open", "--passphrase-env", "PASS", "--check", "p.mseal"], in: scratch.url, environment: env)
                .status == 0)
        let wrong = try CLI.run(
            ["open", "--passphrase-env", "PASS", "--check", "p.mseal"], in: scratch.url,
            environment: ["PASS": "nope"])
        #expect(wrong.status == 10)
    }

    @Test func rekeyAddsAndRemoves() throws {
        #expect(
            try CLI.run(
                ["seal", "--key-env", "MODEL_KEY", "-o", "m.mseal", "model.pt"], in: scratch.url, environment: keyEnv
            ).status == 0)
        let customer = try CLI.run(["keygen", "-o", "c.key"], in: scratch.url).stdoutText.trimmingCharacters(
            in: .whitespacesAndNewlines)
        let rekey = try CLI.run(
            ["rekey", "--key-env", "MODEL_KEY", "-r", customer, "--remove", "0", "-o", "r.mseal", "m.mseal"],
            in: scratch.url, environment: keyEnv)
        #expect(rekey.status == 0, "\(rekey.stderr)")
        #expect(try CLI.run(["open", "-i", "c.key", "--check", "r.mseal"], in: scratch.url).status == 0)
        #expect(
            try CLI.run(["open", "--key-env", "MODEL_KEY", "--check", "r.mseal"], in: scratch.url, environment: keyEnv)
                .status == 10)
        let inspect = try CLI.run(["inspect", "r.mseal"], in: scratch.url)
        #expect(inspect.stdoutText.contains("x25519-hpke"))
        #expect(inspect.stdoutText.contains("UNVERIFIED"))
    }

    /// Every failure: a clear message, the documented exit code, and no output file left behind.
    @Test func badInputsFailCleanlyAndLeaveNothing() throws {
        #expect(
            try CLI.run(
                ["seal", "--key-env", "MODEL_KEY", "--chunk-size", "64KiB", "-o", "m.mseal", "model.pt"],
                in: scratch.url, environment: keyEnv
            ).status == 0)
        let sealed = try scratch.read("m.mseal")
        var flipped = sealed
        flipped[flipped.count - 100] ^= 1
        try scratch.write("flipped.mseal", flipped)
        try scratch.write("truncated.mseal", sealed.prefix(sealed.count - 65536 - 16))
        try scratch.write("cut.mseal", sealed.prefix(sealed.count - 20))  // last chunk shorter than a tag
        try scratch.write("appended.mseal", sealed + Data([1, 2, 3]))
        try scratch.write("empty.mseal", Data())
        try scratch.write("notsealed.mseal", Data("hello".utf8))
        var badHeader = sealed
        badHeader[20] ^= 1
        try scratch.write("header.mseal", badHeader)
        var scrypt = sealed
        scrypt[12...15] = Data([0xFF, 0xFF, 0xFF, 0xFF])
        try scratch.write("hugeheader.mseal", scrypt)
        try FileManager.default.createDirectory(atPath: scratch.path("adir"), withIntermediateDirectories: false)
        let before = scratch.names
        let wrongKey = try CLI.run(["keygen", "--symmetric"], in: scratch.url).stdoutText
        let cases: [(file: String, env: [String: String], status: Int32, message: String)] = [
            ("m.mseal", ["MODEL_KEY": wrongKey], 10, "no key matches"),
            ("flipped.mseal", keyEnv, 11, "failed to authenticate"),
            ("header.mseal", keyEnv, 11, "header MAC mismatch"),
            ("truncated.mseal", keyEnv, 11, "failed to authenticate"),
            ("appended.mseal", keyEnv, 11, "failed to authenticate"),
            ("cut.mseal", keyEnv, 12, "truncated"),
            ("empty.mseal", keyEnv, 13, "empty"),
            ("notsealed.mseal", keyEnv, 13, "not a ModelSeal"),
            ("hugeheader.mseal", keyEnv, 13, "header length"),
            ("adir", keyEnv, 16, "directory"),
            ("missing.mseal", keyEnv, 16, "No such file"),
            ("m.mseal", ["MODEL_KEY": "not-a-key"], 14, "not a raw key"),
            ("m.mseal", [:], 14, "not set"),
        ]
        for item in cases {
            let result = try CLI.run(
                ["open", "--key-env", "MODEL_KEY", "-o", "plain.pt", item.file], in: scratch.url,
                environment: item.env.isEmpty ? ["MODEL_KEY": ""] : item.env)
            #expect(result.status == item.status, "\(item.file): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains(item.message), "\(item.file): \(result.stderr)")
            #expect(result.stderr.hasPrefix("modelseal: error:"), "\(item.file): \(result.stderr)")
            #expect(result.stdout.isEmpty)
            #expect(scratch.names == before, "\(item.file) left files: \(scratch.names.subtracting(before))")
            let piped = try CLI.run(
                ["open", "--key-env", "MODEL_KEY", "-o", "-", item.file], in: scratch.url,
                environment: item.env.isEmpty ? ["MODEL_KEY": ""] : item.env)
            #expect(piped.status == item.status)
            #expect(piped.stdout.isEmpty, "\(item.file): plaintext reached standard output")
        }
    }

    @Test func outputRules() throws {
        #expect(
            try CLI.run(
                ["seal", "--key-env", "MODEL_KEY", "-o", "m.mseal", "model.pt"], in: scratch.url, environment: keyEnv
            ).status == 0)
        let exists = try CLI.run(
            ["seal", "--key-env", "MODEL_KEY", "-o", "m.mseal", "model.pt"], in: scratch.url, environment: keyEnv)
        #expect(exists.status == 17)
        #expect(exists.stderr.contains("--force"))
        #expect(
            try CLI.run(
                ["seal", "--key-env", "MODEL_KEY", "-f", "-o", "m.mseal", "model.pt"], in: scratch.url,
                environment: keyEnv
            ).status == 0)
        let noDirectory = try CLI.run(
            ["open", "--key-env", "MODEL_KEY", "-o", "nowhere/out.pt", "m.mseal"], in: scratch.url, environment: keyEnv)
        #expect(noDirectory.status == 17)
        let usage = try CLI.run(["seal", "-o", "x.mseal", "model.pt"], in: scratch.url)
        #expect(usage.status == 64)
        #expect(usage.stderr.contains("no recipient"))
        let keyExists = try CLI.run(["keygen", "-o", "model.pt"], in: scratch.url)
        #expect(keyExists.status == 17)
    }

    @Test func demoRunsTheWholeFlowAndLeavesNothing() throws {
        let temporary = try Scratch()
        let demo = try CLI.run(
            ["demo", "--size-mib", "4"], in: scratch.url, environment: ["TMPDIR": temporary.url.path])
        #expect(demo.status == 0, "\(demo.stderr)")
        for line in [
            "plaintext identical (SHA-256)             yes", "signed by the trusted vendor key", "refused: chunk",
            "refused: no key matches", "refused: untrusted signer",
        ] {
            #expect(demo.stdoutText.contains(line.split(separator: " ").prefix(3).joined(separator: " ")), "\(line)")
        }
        #expect(
            !demo.stdoutText.split(separator: "\n").contains { $0.hasSuffix(" NO") || $0.contains("NOT A CHECKPOINT") })
        #expect(!demo.stdoutText.contains("ACCEPTED"))
        #expect(temporary.names.isEmpty, "demo left \(temporary.names)")
    }
}
