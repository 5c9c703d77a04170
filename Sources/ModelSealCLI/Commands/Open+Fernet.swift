import ArticleCompat
import ContainerEngine
import ModelSealCore
import ModelSealKit

extension ModelSeal.Open {
    /// Opens a Fernet token (the article's `save_encrypted_model` output), recognised by its content.
    ///
    /// Pass 1 authenticates the whole token; only then does pass 2 decrypt, releasing each chunk
    /// only if it is byte-identical to what pass 1 authenticated (docs/ARTICLE.md).
    func openFernet(_ source: InputFile) throws {
        if !trust.trustFiles.isEmpty || trust.signature != nil {
            throw CLIError(
                .usage,
                "a Fernet file carries no ModelSeal signature: check the article's RSA signature first with "
                    + "`modelseal verify --rsa-pkcs1v15 --trust KEY.pem --signature FILE.sig \(input)`")
        }
        if !trust.allowUnsigned, let store = try TrustStore.location() {
            throw StatusError(
                .unsigned,
                "a Fernet file carries no ModelSeal signature and the trust store \(store) requires one: "
                    + "pass --allow-unsigned to open it anyway")
        }
        if license != nil {
            throw CLIError(
                .usage, "a Fernet file (the article's format) has no license: open it with --key-env or --key-file")
        }
        let keys = try identities.fernetKeys()
        let clock = Stopwatch()
        let file = try FernetFile(source)
        let verified = try file.verify(with: keys)
        if let output {
            if output == "-" && Terminal.standardOutputIsTerminal {
                throw CLIError(.outputError, "refusing to write a model to the terminal: use -o FILE or a pipe")
            }
            let sink = try OutputFile(output == "-" ? .standardOutput : .path(output), mode: 0o600, replace: force)
            _ = try verified.decrypt(to: sink)
            try sink.commit()
        }
        let seconds = clock.elapsed
        if json {
            try JSONOutput.print(
                FernetOpenReport(
                    output: output, plaintextBytes: verified.plaintextLength,
                    createdAt: utcTimestamp(seconds: verified.timestamp), seconds: seconds))
        } else if output != "-" && !quiet {
            Terminal.writeError(
                "\(check ? "verified" : "opened") Fernet token (the article's format, made \(utcTimestamp(seconds: verified.timestamp))): "
                    + "\(verified.plaintextLength) bytes\(output.map { ": \($0)" } ?? "") "
                    + "(\(throughput(bytes: verified.plaintextLength, seconds: seconds)))")
            Terminal.writeError("note: move to ModelSeal's format with `modelseal migrate` (see docs/ARTICLE.md)")
        }
    }
}

/// `open --json` output for a Fernet token (schema version 1).
struct FernetOpenReport: Encodable {
    var schema = 1
    var format = "fernet"
    let output: String?
    var verified = true
    let plaintextBytes: Int
    let createdAt: String
    let seconds: Double
}
