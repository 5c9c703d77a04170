import ContainerEngine
import ContainerFormat
import ModelSealBundle
import ModelSealCore
import ModelSealKit
import ModelSealSigning

extension ModelSeal.Seal {
    /// Directory mode: seals the folder `input` into the new folder `output` (spec/FOLDERS.md).
    func sealFolder(
        recipients: [Recipient], signer: (key: SigningKey, algorithm: SignatureAlgorithm)?, required: [[UInt8]]
    ) throws {
        if output == "-" { throw CLIError(.usage, "a folder is sealed into a new folder: give -o NEW_FOLDER, not -") }
        if markCustomer != nil { throw CLIError(.usage, "--mark marks one file: mark the shards before sealing") }
        if force { throw CLIError(.usage, "--force does not apply to folders: -o must name a new folder") }
        var options = SealOptions()
        options.suite = CipherSuite(name: suite) ?? .aes256GCM
        options.chunkLog2 = ChunkSize.log2(of: chunkSize) ?? SealedFormat.defaultChunkLog2
        if !noMetadata { options.metadata = ["created-by": "modelseal \(ModelSeal.version)"] }
        if !required.isEmpty {
            guard required.count <= RequiredSigners.maximumCount else {
                throw CLIError(.usage, "at most \(RequiredSigners.maximumCount) required signers")
            }
            options.extensions.append(RequiredSigners.extension(keyIDs: required))
        }
        if let contract = try environment.contract() { options.extensions.append(contract.headerExtension) }
        let clock = Stopwatch()
        let summary = try FolderSealer.seal(
            folder: input, to: output, recipients: recipients, options: options, signer: signer)
        let members = summary.manifest.members
        let sealed = members.filter { if case .sealed = $0.binding { true } else { false } }
        if json {
            try JSONOutput.print(
                FolderSealReport(
                    output: output, sealed: sealed.map(\.name),
                    clear: members.filter { !sealed.contains($0) }.map(\.name),
                    skipped: summary.skipped, recipients: recipients.count, seconds: clock.elapsed))
            return
        }
        for name in summary.skipped {
            Terminal.writeError("modelseal: warning: \(input)/\(name) left out (hidden file)")
        }
        if !quiet {
            Terminal.writeError(
                "sealed folder \(output): \(sealed.count) sealed, \(members.count - sealed.count) in clear, "
                    + "bound by \(FolderManifest.manifestName) (\(recipients.count) recipient(s))")
        }
    }
}

/// `seal --json` output for a folder (schema version 1).
struct FolderSealReport: Encodable {
    var schema = 1
    let output: String
    let sealed: [String]
    let clear: [String]
    let skipped: [String]
    let recipients: Int
    let seconds: Double
}
