import ModelSealKit

extension ModelSeal.Open {
    /// A sealed folder: its set manifest and every file checked (spec/FOLDERS.md §4); with -o, the plaintext
    /// folder written into a new folder, renamed into place only when every member verified.
    func openFolder(_ opener: ModelOpener) throws {
        if opener.detachedSignature != nil {
            throw CLIError(.usage, "--signature is for one file: a sealed folder's files carry their own")
        }
        if output == "-" { throw CLIError(.usage, "a folder opens into a new folder: give -o NEW_FOLDER, not -") }
        if force { throw CLIError(.usage, "--force does not apply to folders: -o must name a new folder") }
        let clock = Stopwatch()
        let folder = try SealedFolder(path: input, opener: opener)
        if let output {
            try folder.open(into: output)
        } else {
            try folder.verifyMembers()
        }
        if !quiet && !json {
            for signer in folder.signers {
                Terminal.writeError(
                    "manifest signed by \(signer.key.fingerprint) (\(signer.algorithm)\(signer.trusted ? ", trusted" : ""))"
                )
            }
            Terminal.writeError(
                "\(output == nil ? "verified" : "opened") folder of \(folder.manifest.members.count) file(s)"
                    + "\(output.map { ": \($0)" } ?? "") in \(Int(clock.elapsed * 1000)) ms")
        }
        if json {
            try JSONOutput.print(
                FolderOpenReport(
                    output: output, verified: true, files: folder.manifest.members.map(\.name),
                    signers: folder.signers.map(SignerReport.init), seconds: clock.elapsed))
        }
    }
}

/// `open --json` output for a sealed folder (schema version 1).
struct FolderOpenReport: Encodable {
    var schema = 1
    let output: String?
    let verified: Bool
    let files: [String]
    let signers: [SignerReport]
    let seconds: Double
}
