import ContainerEngine
import ContainerFormat
import Crypto
import ModelSealBundle
import ModelSealCore
import ModelSealSigning

/// A sealed model folder opened through its set manifest (spec/FOLDERS.md §4): the manifest decrypted in
/// memory after every check `ModelOpener` makes, the folder's listing equal to the manifest's (nothing
/// missing, nothing extra), clear members equal to their hashes, and every sealed member's length and
/// header equal to the manifest's, before anything is returned.
public final class SealedFolder: @unchecked Sendable {
    /// The folder's path.
    public let path: String
    /// The verified manifest.
    public let manifest: FolderManifest
    /// Signatures over the manifest that verified.
    public let signers: [VerifiedSigner]
    /// The opener every member goes through (the same keys, trust and license as the manifest).
    public let opener: ModelOpener

    /// Whether `path` is a sealed folder (a folder holding the set manifest).
    public static func isSealedFolder(_ path: String) -> Bool {
        FileKind(path) == .directory && FileKind(path + "/" + FolderManifest.manifestName) == .file
    }

    /// Opens and checks the folder at `path` (see the type's summary); reads one header per sealed member.
    public init(path: String, opener: ModelOpener) throws {
        let prepared = try opener.prepare(try InputFile(path: path + "/" + FolderManifest.manifestName))
        guard prepared.plaintextLength <= FolderManifest.maximumBytes else {
            throw BundleError.malformedManifest("the folder manifest is over \(FolderManifest.maximumBytes) bytes")
        }
        var bytes = [UInt8](repeating: 0, count: prepared.plaintextLength)
        try bytes.withUnsafeMutableBytes { buffer in try prepared.decrypt(into: buffer) }
        manifest = try FolderManifest.parse(bytes)
        self.path = path
        self.signers = prepared.signers
        self.opener = opener
        try checkListing()
        for member in manifest.members {
            switch member.binding {
            case .sealed: _ = try sealedFile(named: member.name)
            case .clear: _ = try clearBytes(named: member.name, limit: Int.max, keep: false)
            }
        }
    }

    private func checkListing() throws {
        let present = Set(try Directory.entries(path, requireUTF8: true))
        let expected = Set(manifest.fileNames)
        if let missing = expected.subtracting(present).sorted().first {
            throw BundleError.folderAltered("\(missing) is missing from \(path)")
        }
        if let extra = present.subtracting(expected).sorted().first {
            throw BundleError.folderAltered("\(extra) in \(path) is not in the folder's manifest (remove it)")
        }
    }

    /// The sealed member `name`, its file checked against the manifest: length, header bytes and (signed
    /// sets) the Merkle root of its signed chunk list. Not yet unlocked.
    public func sealedFile(named name: String) throws -> SealedFile {
        guard let member = manifest.member(named: name),
            case .sealed(let length, _, let headerSHA256, let chunksRoot) = member.binding
        else {
            throw BundleError.folderAltered("the folder's manifest has no sealed member \(name)")
        }
        let file = try SealedFile(try InputFile(path: path + "/" + member.fileName))
        guard file.fileLength == length, Array(SHA256.hash(data: file.headerBytes)) == headerSHA256 else {
            throw BundleError.folderAltered(
                "\(member.fileName) is not the file the manifest lists (another version, or changed)")
        }
        if let chunksRoot {
            guard let trailer = file.trailer, Merkle.root(trailer.leafHashes) == chunksRoot else {
                throw BundleError.folderAltered("\(member.fileName)'s signed chunk list differs from the manifest's")
            }
        }
        return file
    }

    /// The sealed member `name` after every check (`ModelOpener.prepare`), its plaintext length compared
    /// with the manifest's: ready for decryption or random access.
    public func prepare(_ name: String) throws -> ModelOpener.Prepared {
        let prepared = try opener.prepare(try sealedFile(named: name))
        if case .sealed(_, let plaintextLength, _, _)? = manifest.member(named: name)?.binding,
            plaintextLength != prepared.plaintextLength
        {
            throw BundleError.folderAltered("\(name) holds \(prepared.plaintextLength) bytes, not \(plaintextLength)")
        }
        return prepared
    }

    /// The bytes of the clear member `name`, checked against its length and SHA-256 (at most `limit` bytes).
    public func clearBytes(named name: String, limit: Int = 64 << 20) throws -> [UInt8] {
        try clearBytes(named: name, limit: limit, keep: true)
    }

    private func clearBytes(named name: String, limit: Int, keep: Bool) throws -> [UInt8] {
        guard let member = manifest.member(named: name), case .clear(let length, let sha256) = member.binding else {
            throw BundleError.folderAltered("the folder's manifest has no clear member \(name)")
        }
        guard length <= limit else { throw BundleError.inputFailed("\(name) is over \(limit) bytes") }
        let input = try InputFile(path: path + "/" + name)
        guard input.size == length else { throw BundleError.folderAltered("\(name) is not \(length) bytes") }
        var hasher = SHA256()
        var kept: [UInt8] = []
        var offset = 0
        while offset < length {
            let part = try input.read(at: offset, count: min(1 << 20, length - offset))
            hasher.update(data: part)
            if keep { kept += part }
            offset += part.count
        }
        guard Array(hasher.finalize()) == sha256 else {
            throw BundleError.folderAltered("\(name) differs from the manifest (SHA-256 mismatch)")
        }
        return kept
    }

    /// Authenticates every chunk of every sealed member (against its signed list when signed), releasing
    /// nothing: what `modelseal verify FOLDER` does after the checks of `init`.
    public func verifyMembers() throws {
        for member in manifest.members {
            if case .sealed = member.binding { try prepare(member.name).verify() }
        }
    }
}

extension SealedFolder {
    /// Writes the plaintext folder (sealed members decrypted under their names, clear members copied) into
    /// the new folder `target`, staged beside it and renamed into place only when every member verified:
    /// on any failure nothing exists under `target`. Plaintext files get mode 0644 inside a 0755 folder.
    public func open(into target: String) throws {
        let staging = try StagingDirectory(target: target)
        for member in manifest.members {
            let sink = try StagedFileSink(staging, name: member.name)
            switch member.binding {
            case .sealed:
                try prepare(member.name).decrypt(to: sink, sinkReleasesImmediately: false)
            case .clear:
                try sink.write(try clearBytes(named: member.name, limit: Int.max))
            }
            try sink.synchronize()
        }
        try staging.commit()
    }
}
