import ContainerEngine
import ContainerFormat
import Crypto
import ModelSealCore
import ModelSealSigning

/// A bundle whose header, manifest and signature block have been read and checked against the
/// file's size; members are read only by `readMembers`, which hashes each one as it streams.
public final class OpenedBundle {
    /// The manifest as parsed.
    public let manifest: BundleManifest
    /// The manifest bytes (what signatures cover).
    public let manifestBytes: [UInt8]
    /// The signatures, not yet verified.
    public let signatures: [BundleSignature]
    /// File offset of the first member.
    public let membersOffset: Int
    let input: ByteSource

    /// Opens the bundle at `path` (a regular file: sizes are checked before anything is read).
    public convenience init(path: String) throws(BundleError) {
        let input: InputFile
        do {
            input = try InputFile(path: path)
        } catch {
            throw .inputFailed("\(error)")
        }
        guard input.isSeekable else { throw .inputFailed("\(path) is not a regular file: bundles are read from files") }
        try self.init(source: input, name: path)
    }

    /// Opens a bundle from any random-access source (a file, or bytes in memory for tests and fuzzing).
    public init(source input: ByteSource, name path: String = "bundle") throws(BundleError) {
        self.input = input
        let fileLength = input.size
        func read(_ offset: Int, _ count: Int) throws(BundleError) -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: count)
            do {
                try bytes.withUnsafeMutableBytes { try input.read(into: $0, at: offset) }
            } catch {
                throw .inputFailed("\(path): \(error)")
            }
            return bytes
        }
        guard fileLength >= BundleFormat.fixedHeaderLength else {
            if fileLength >= 8, try read(0, 8) == BundleFormat.magic {
                throw .malformed(offset: fileLength, reason: "truncated header")
            }
            throw .notBundle
        }
        var fixed = ByteReader(try read(0, BundleFormat.fixedHeaderLength))
        guard fixed.readBytes(8).map(Array.init) == BundleFormat.magic else { throw .notBundle }
        guard let version = fixed.readUInt8(), version == BundleFormat.version else {
            throw .unsupportedVersion(try read(8, 1)[0])
        }
        guard fixed.readBytes(3).map(Array.init) == [0, 0, 0] else {
            throw .malformed(offset: 9, reason: "reserved bytes are not zero")
        }
        guard let manifestLength = fixed.readBigEndian(UInt32.self).map(Int.init),
            manifestLength >= 2, manifestLength <= BundleFormat.maximumManifestLength
        else {
            throw .malformed(
                offset: 12, reason: "manifest length out of range (2 to \(BundleFormat.maximumManifestLength))")
        }
        let signaturesLengthOffset = BundleFormat.fixedHeaderLength + manifestLength
        guard signaturesLengthOffset + 4 <= fileLength else {
            throw .malformed(offset: fileLength, reason: "the file ends inside the manifest")
        }
        manifestBytes = try read(BundleFormat.fixedHeaderLength, manifestLength)
        var lengthReader = ByteReader(try read(signaturesLengthOffset, 4))
        guard let signaturesLength = lengthReader.readBigEndian(UInt32.self).map(Int.init),
            signaturesLength >= 1, signaturesLength <= BundleFormat.maximumSignaturesLength
        else { throw .malformed(offset: signaturesLengthOffset, reason: "signature block length out of range") }
        membersOffset = signaturesLengthOffset + 4 + signaturesLength
        guard membersOffset <= fileLength else {
            throw .malformed(offset: fileLength, reason: "the file ends inside the signature block")
        }
        signatures = try BundleSignature.parse(
            try read(signaturesLengthOffset + 4, signaturesLength), base: signaturesLengthOffset + 4)
        manifest = try BundleManifest.parse(manifestBytes)
        // Sizes are checked against the file before any member is read or written: a huge declared
        // size, a missing member or appended bytes fail here, with nothing done.
        let held = fileLength - membersOffset
        let declared = manifest.totalSize
        if held < declared {
            var offset = 0
            let first = manifest.members.first { member in
                defer { offset += member.size }
                return offset + member.size > held
            }
            throw .sizeMismatch(
                "the manifest declares \(declared) bytes of members but the file holds \(held): member '\(first?.name ?? "?")' "
                    + "is missing or truncated")
        }
        if held > declared {
            throw .sizeMismatch(
                "\(held - declared) bytes follow the last member the manifest declares: an extra member was appended")
        }
    }

    /// Checks the signatures over the manifest (see `BundleSignature.verify`).
    public func verifySignatures(trustedKeys: [VerifyingKey]) throws(SigningError) -> [BundleSigner] {
        try BundleSignature.verify(signatures, manifest: manifestBytes, trustedKeys: trustedKeys)
    }

    /// Streams every member in order into `sink` (or only hashes, with `nil`); each member's SHA-256 is
    /// compared at its end, before `sink.end` is called. Memory: one buffer, whatever the sizes.
    public func readMembers(into sink: BundleMemberSink?) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: BundleFormat.bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var offset = membersOffset
        for member in manifest.members {
            try sink?.begin(member)
            var hasher = SHA256()
            var left = member.size
            while left > 0 {
                let count = min(left, buffer.count)
                let slice = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
                do {
                    try input.read(into: slice, at: offset)
                } catch {
                    throw BundleError.inputFailed("reading member '\(member.name)': \(error)")
                }
                hasher.update(bufferPointer: UnsafeRawBufferPointer(slice))
                try sink?.write(UnsafeRawBufferPointer(slice))
                offset += count
                left -= count
            }
            guard Array(hasher.finalize()) == member.sha256 else { throw BundleError.memberAltered(name: member.name) }
            try sink?.end(member)
        }
    }

    /// Reads one member fully into memory (for small members: a contract, a README), hash-checked.
    public func memberBytes(_ name: String, limit: Int) throws -> [UInt8]? {
        guard let index = manifest.members.firstIndex(where: { $0.name == name }) else { return nil }
        let member = manifest.members[index]
        guard member.size <= limit else {
            throw BundleError.sizeMismatch("member '\(name)' is larger than \(limit) bytes")
        }
        let offset = membersOffset + manifest.members[..<index].reduce(0) { $0 + $1.size }
        var bytes = [UInt8](repeating: 0, count: member.size)
        do {
            try bytes.withUnsafeMutableBytes { try input.read(into: $0, at: offset) }
        } catch {
            throw BundleError.inputFailed("reading member '\(name)': \(error)")
        }
        guard Array(SHA256.hash(data: bytes)) == member.sha256 else { throw BundleError.memberAltered(name: name) }
        return bytes
    }
}

/// Receives members as `OpenedBundle.readMembers` streams them.
public protocol BundleMemberSink: AnyObject {
    /// A member starts.
    func begin(_ member: BundleManifest.Member) throws
    /// The next bytes of the current member (not yet hash-checked).
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// The current member ended and its hash matched.
    func end(_ member: BundleManifest.Member) throws
}
