import ContainerEngine
import ModelSealBundle
import ModelSealCore
import ModelSealKit
import ModelSealSigning

extension ModelSeal.Verify {
    /// A sealed folder without a key: every `.mseal` file's signatures against the trust keys (the set
    /// manifest's among them); the set binding needs the manifest's plaintext, so a key (`open --check`).
    func verifyFolder() throws {
        if trust.signature != nil {
            throw CLIError(.usage, "--signature is for one file: a sealed folder's files carry their own")
        }
        let names = try Directory.entries(file, requireUTF8: true).filter { $0.hasSuffix(FolderManifest.sealedSuffix) }
        guard names.contains(FolderManifest.manifestName) else {
            throw BundleError.folderAltered("\(file) holds no \(FolderManifest.manifestName): not a sealed folder")
        }
        let trusted = try trust.keysForVerifying()
        var reports: [VerifyReport] = []
        for name in names {
            let path = file + "/" + name
            let sealed = try SealedFile(try InputFile(path: path))
            guard let trailer = sealed.trailer else {
                throw SigningError.unsigned("\(path) carries no signature: seal the folder with --sign-key")
            }
            let signers = try FileSignatures.verify(
                sealed, trailer: trailer, leafHashes: try sealed.leafHashes(), trustedKeys: trusted, requiredKeyIDs: [])
            reports.append(
                VerifyReport(
                    file: path, valid: true, signers: signers.map(SignerReport.init), requiredSignersUnverified: []))
            if !json {
                for signer in signers {
                    Terminal.writeOutput(
                        "\(name): valid \(signer.algorithm) signature by \(signer.key.fingerprint)"
                            + (signer.trusted ? ", trusted\n" : "\n"))
                }
            }
        }
        if json { return try JSONOutput.print(reports) }
        Terminal.writeError(
            "note: the set (missing, extra or swapped files) is bound by the sealed manifest: check it with a key, "
                + "`modelseal open --check -i KEY \(file)`")
    }
}
