import ContainerFormat
import ModelSealCore

/// Rewrites a sealed file's recipients: without touching its payload (`rewrite`), or with a new file
/// key (`rotate`).
///
/// `rewrite`: the payload key depends only on the file key and the payload salt, both unchanged, so
/// the chunks are copied byte for byte; only the stanzas and the header MAC are new. Whoever held the
/// file key still holds it: a retired recipient who kept it (or an old copy) can still read and forge
/// the "new" file. Only `rotate` retires a leaked key.
public enum Rekey {
    /// The new header for `file`: its stanzas minus `removing` (indexes), plus wraps for `adding`.
    public static func header(
        of file: UnlockedFile, removing: Set<Int>, adding recipients: [Recipient]
    ) throws(SealError) -> [UInt8] {
        let old = file.file.header
        if let bad = removing.first(where: { !old.stanzas.indices.contains($0) }) {
            throw .invalidKey(
                "no stanza \(bad): the file has stanzas 0...\(old.stanzas.count - 1) (see `modelseal inspect`)")
        }
        var stanzas = old.stanzas.enumerated().filter { !removing.contains($0.offset) }.map(\.element)
        for recipient in recipients { stanzas.append(try recipient.wrap(file.keySchedule.fileKey)) }
        guard !stanzas.isEmpty else { throw .noRecipients }
        var header = old
        header.stanzas = stanzas
        header.mac = []
        do throws(FormatError) {
            let authenticated = try header.authenticatedBytes()
            return authenticated + file.keySchedule.headerMAC(authenticated)
        } catch {
            throw .malformed(error)
        }
    }

    /// Writes the new header and copies the payload unchanged; returns the new header. A signature
    /// trailer is not copied: its signatures cover the old header (spec/SIGNATURES.md §1), so the caller
    /// re-signs the result (spec/SIGNATURES.md §6).
    @discardableResult
    public static func rewrite(
        _ file: UnlockedFile, removing: Set<Int>, adding recipients: [Recipient], to output: ByteSink
    ) throws(SealError) -> [UInt8] {
        let header = try header(of: file, removing: removing, adding: recipients)
        try SealError.writing { () throws(IOError) in try output.write(contentsOf: header) }
        let source = file.file.source.source
        let bufferSize = 4 << 20
        let buffer = SharedBuffer(count: bufferSize)
        defer { buffer.deallocate() }
        var offset = file.file.headerBytes.count
        let end = file.file.payloadRange.upperBound
        while offset < end {
            let count = min(bufferSize, end - offset)
            let slice = buffer.slice(0..<count)
            try SealError.reading { () throws(IOError) in try source.read(into: slice, at: offset) }
            try SealError.writing { () throws(IOError) in try output.write(UnsafeRawBufferPointer(slice)) }
            offset += count
        }
        return header
    }

    /// A real rotation (`rekey --rotate`): a new file key and payload salt, the payload decrypted and
    /// re-encrypted in one streaming pass, wrapped only to `recipients` (the old stanzas hold the old key,
    /// so none is kept). Suite, chunk size, sealed metadata and the other header extensions carry over.
    /// The result is a new sealing with a new file id (licenses and key servers must be told).
    /// `expected`: the leaf hashes a signature covers, checked chunk by chunk before re-encrypting.
    public static func rotate(
        _ file: UnlockedFile, to recipients: [Recipient], expected: [[UInt8]]?, hashingLeaves: Bool,
        output: ByteSink
    ) throws(SealError) -> SealSummary {
        let header = file.file.header
        var options = SealOptions()
        options.suite = header.suite
        options.chunkLog2 = header.chunkLog2
        options.metadata = try file.metadata().entries
        options.extensions = header.extensions.filter { $0.type != .sealedMetadata }
        options.hashingLeaves = hashingLeaves
        return try Sealer.seal(
            PlaintextStream(file, expected: expected), to: output, recipients: recipients, options: options)
    }
}
