import ContainerFormat
import ModelSealCore

/// Rewrites a sealed file's recipients without touching its payload.
///
/// The payload key depends only on the file key and the payload salt, both unchanged, so the
/// chunks are copied byte for byte; only the stanzas and the header MAC are new.
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

    /// Writes the new header and copies the payload (and any trailer) unchanged.
    public static func rewrite(
        _ file: UnlockedFile, removing: Set<Int>, adding recipients: [Recipient], to output: ByteSink
    ) throws(SealError) {
        let header = try header(of: file, removing: removing, adding: recipients)
        try SealError.writing { () throws(IOError) in try output.write(contentsOf: header) }
        let source = file.file.source.source
        let bufferSize = 4 << 20
        let buffer = SharedBuffer(count: bufferSize)
        defer { buffer.deallocate() }
        var offset = file.file.headerBytes.count
        while offset < file.file.fileLength {
            let count = min(bufferSize, file.file.fileLength - offset)
            let slice = buffer.slice(0..<count)
            try SealError.reading { () throws(IOError) in try source.read(into: slice, at: offset) }
            try SealError.writing { () throws(IOError) in try output.write(UnsafeRawBufferPointer(slice)) }
            offset += count
        }
    }
}
