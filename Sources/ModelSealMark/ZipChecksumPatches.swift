import ModelFormats
import ModelSealCore

/// The CRC-32 fields a zip checkpoint must carry once some stored members' bytes are patched: the
/// local header, the data descriptor (when present) and the central directory entry of each member.
enum ZipChecksumPatches {
    static let centralSignature: UInt32 = 0x0201_4B50
    static let descriptorSignature: UInt32 = 0x0807_4B50

    /// Patches that set the CRC of every member in `members` to its value over `patched`.
    static func make(archive: ZipArchive, members: Set<String>, patched: PatchedSource) throws -> [BytePatch] {
        var result: [BytePatch] = []
        let centralOffsets = try centralEntryOffsets(archive, names: members)
        for name in members.sorted() {
            guard let entry = archive.entry(named: name), entry.method == 0, let central = centralOffsets[name]
            else {
                throw MarkError.unsupported("zip member \(name) is compressed or missing: cannot mark it in place")
            }
            var crc = CRC32()
            var offset = entry.dataOffset
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            while offset < entry.dataOffset + entry.compressedSize {
                let count = min(buffer.count, entry.dataOffset + entry.compressedSize - offset)
                try buffer.withUnsafeMutableBytes { raw in
                    let slice = UnsafeMutableRawBufferPointer(rebasing: raw[0..<count])
                    try patched.read(into: slice, at: offset)
                    crc.update(UnsafeRawBufferPointer(slice))
                }
                offset += count
            }
            let value = littleEndian(crc.value)
            result.append(BytePatch(offset: central + 16, bytes: value))
            if try readUInt32(archive.source, entry.localHeaderOffset + 14) == entry.crc32 {
                result.append(BytePatch(offset: entry.localHeaderOffset + 14, bytes: value))
            }
            if entry.flags & 0x0008 != 0 {
                let descriptor = entry.dataOffset + entry.compressedSize
                let first = try readUInt32(archive.source, descriptor)
                let field = first == descriptorSignature ? descriptor + 4 : descriptor
                if try readUInt32(archive.source, field) == entry.crc32 {
                    result.append(BytePatch(offset: field, bytes: value))
                }
            }
        }
        return result
    }

    /// Offsets of the central directory records of `names`.
    static func centralEntryOffsets(_ archive: ZipArchive, names: Set<String>) throws -> [String: Int] {
        var offsets: [String: Int] = [:]
        var cursor = archive.centralDirectoryOffset
        let end = archive.centralDirectoryOffset + archive.centralDirectorySize
        while cursor + 46 <= end, offsets.count < names.count {
            let header = try archive.source.read(at: cursor, count: 46)
            var reader = ByteReader(header)
            guard reader.readLittleEndian(UInt32.self) == centralSignature else { break }
            let nameLength = Int(header[28]) | Int(header[29]) << 8
            let extraLength = Int(header[30]) | Int(header[31]) << 8
            let commentLength = Int(header[32]) | Int(header[33]) << 8
            let nameBytes = try archive.source.read(at: cursor + 46, count: nameLength)
            let name = String(decoding: nameBytes, as: UTF8.self)
            if names.contains(name) { offsets[name] = cursor }
            cursor += 46 + nameLength + extraLength + commentLength
        }
        return offsets
    }

    static func readUInt32(_ source: any ByteSource, _ offset: Int) throws -> UInt32 {
        var reader = ByteReader(try source.read(at: offset, count: 4))
        return reader.readLittleEndian(UInt32.self) ?? 0
    }

    static func littleEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8(value >> 24)]
    }
}
