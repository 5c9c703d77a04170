import ModelFormats
import ModelSealBundle
import ModelSealCore
import ModelSealKit

extension ModelSeal.Inspect {
    /// A sealed folder: without a key its files as found (UNVERIFIED); with one, the checked set with each
    /// sealed weight file's tensor count and bytes, read from its header by verified random access.
    func inspectFolder() throws {
        guard !identities.isEmpty else { return try listUnverified() }
        var opener = ModelOpener(identities: try identities.resolve())
        opener.trustedKeys = []
        let folder = try SealedFolder(path: file, opener: opener)
        var reports: [FolderMemberReport] = []
        for member in folder.manifest.members {
            guard case .sealed(_, let plaintextLength, _, _) = member.binding else {
                if case .clear(let length, _) = member.binding {
                    reports.append(FolderMemberReport(name: member.name, sealed: false, bytes: length))
                }
                continue
            }
            var report = FolderMemberReport(name: member.name, sealed: true, bytes: plaintextLength)
            if FolderSealer.weightSuffixes.contains(where: { member.name.hasSuffix($0) }) {
                let prepared = try folder.prepare(member.name)
                try prepared.checkLastChunk()
                let inspection = try PlaintextSource(prepared).parsing { try ModelInspection.inspect($0) }
                report.format = inspection.map { "\($0.format)" }
                report.tensors = inspection?.tensors.count
                report.tensorBytes = inspection?.totalBytes
            }
            reports.append(report)
        }
        if json { return try JSONOutput.print(reports) }
        var lines = ["sealed folder \(file): \(reports.count) file(s), set manifest verified"]
        for report in reports {
            let kind = report.sealed ? "sealed" : "clear "
            let tensors = report.tensors.map { ", \($0) tensor(s) (\(report.format ?? "?"))" } ?? ""
            lines.append("  \(kind)  \(report.name)  \(report.bytes) bytes\(tensors)")
        }
        Terminal.writeOutput(lines.joined(separator: "\n") + "\n")
    }

    private func listUnverified() throws {
        let names = try Directory.entries(file, requireUTF8: true)
        guard names.contains(FolderManifest.manifestName) else {
            throw BundleError.folderAltered("\(file) holds no \(FolderManifest.manifestName): not a sealed folder")
        }
        if json {
            return try JSONOutput.print(
                names.map { FolderMemberReport(name: $0, sealed: $0.hasSuffix(FolderManifest.sealedSuffix), bytes: -1) }
            )
        }
        var lines = ["sealed folder \(file) (UNVERIFIED: the set manifest is sealed; give a key to check it)"]
        for name in names {
            let kind =
                name == FolderManifest.manifestName
                ? "manifest" : name.hasSuffix(FolderManifest.sealedSuffix) ? "sealed  " : "clear   "
            lines.append("  \(kind)  \(name)")
        }
        Terminal.writeOutput(lines.joined(separator: "\n") + "\n")
    }
}

/// `inspect --json` of a sealed folder: one entry per file.
struct FolderMemberReport: Encodable {
    let name: String
    let sealed: Bool
    /// Plaintext bytes (-1 when unknown: no key).
    let bytes: Int
    var format: String? = nil
    var tensors: Int? = nil
    var tensorBytes: Int? = nil
}
