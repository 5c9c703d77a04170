import ModelSealCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The end-of-central-directory record that closes every zip archive.
///
/// Byte layout (little-endian):
///
///     offset  size  field
///          0     4  signature 0x06054B50 ("PK\5\6")
///          4     2  number of this disk
///          6     2  disk on which the central directory starts
///          8     2  central-directory entries on this disk
///         10     2  central-directory entries in total
///         12     4  central-directory size in bytes
///         16     4  central-directory offset
///         20     2  comment length n
///         22     n  comment
///
/// A field holding its all-ones escape value (`0xFFFF`, `0xFFFF_FFFF`) is given by the ZIP64 end record.
struct ZipEndRecord {
    static let signature: UInt32 = 0x0605_4B50
    /// Length of the record without its comment.
    static let fixedLength = 22
    /// The value of a 16-bit field whose real value is in the ZIP64 end record.
    static let escape16: UInt16 = 0xFFFF
    /// The value of a 32-bit field whose real value is in the ZIP64 end record.
    static let escape32: UInt32 = 0xFFFF_FFFF

    /// Absolute offset of the record's signature.
    let offset: Int
    let disk: UInt16
    let centralDirectoryDisk: UInt16
    let entriesOnDisk: UInt16
    let totalEntries: UInt16
    let directorySize: UInt32
    let directoryOffset: UInt32
    let commentLength: UInt16

    /// Length of the record, comment included, as it declares it.
    var length: Int { Self.fixedLength + Int(commentLength) }

    /// Whether both disk numbers say "the only disk" (0, or the ZIP64 escape).
    var isSingleDisk: Bool {
        (disk == 0 || disk == Self.escape16) && (centralDirectoryDisk == 0 || centralDirectoryDisk == Self.escape16)
    }

    /// Reads the fixed part at the reader's position, which is `offset` in the file; `nil` when the
    /// signature is not there or fewer than `fixedLength` bytes remain (the reader is then unchanged).
    init?(_ reader: inout ByteReader, offset: Int) {
        var fields = reader
        guard fields.readLittleEndian(UInt32.self) == Self.signature,
            let disk = fields.readLittleEndian(UInt16.self),
            let centralDirectoryDisk = fields.readLittleEndian(UInt16.self),
            let entriesOnDisk = fields.readLittleEndian(UInt16.self),
            let totalEntries = fields.readLittleEndian(UInt16.self),
            let directorySize = fields.readLittleEndian(UInt32.self),
            let directoryOffset = fields.readLittleEndian(UInt32.self),
            let commentLength = fields.readLittleEndian(UInt16.self)
        else { return nil }
        reader = fields
        self.offset = offset
        self.disk = disk
        self.centralDirectoryDisk = centralDirectoryDisk
        self.entriesOnDisk = entriesOnDisk
        self.totalEntries = totalEntries
        self.directorySize = directorySize
        self.directoryOffset = directoryOffset
        self.commentLength = commentLength
    }
}

extension ZipWalker {
    /// Step 1: the end record. Like miniz (torch) and CPython's zipfile: the last signature in the file
    /// (searching back from the end) that leaves room for a whole record, whatever its comment length says.
    /// More than one signature in the tail (one inside another's comment) is reported: tools that prefer
    /// the record whose comment reaches the end pick a different archive.
    mutating func findEndRecord() throws -> ZipEndRecord {
        let size = source.size
        guard size >= ZipEndRecord.fixedLength else {
            throw truncated("zip end record", 0, ZipEndRecord.fixedLength - size)
        }
        let tailLength = min(size, ZipEndRecord.fixedLength + ZipArchive.Limits.maxCommentLength)
        let tailStart = size - tailLength
        let tail = try source.read(at: tailStart, count: tailLength)
        var reader = ByteReader(tail)
        var found: ZipEndRecord?
        var others: [Int] = []
        for position in Self.endRecordSignatures(in: tail) {
            _ = reader.seek(to: position)
            if let record = ZipEndRecord(&reader, offset: tailStart + position) {
                if found == nil { found = record } else { others.append(record.offset) }
            }
        }
        guard let found else {
            throw bad(
                max(0, size - ZipEndRecord.fixedLength),
                "no end-of-central-directory record: not a zip archive or truncated")
        }
        if !others.isEmpty {
            note(
                .multipleEndRecords, .error, at: found.offset,
                "\(others.count + 1) end records (also at \(others.map(String.init).joined(separator: ", "))): the last one is used, as miniz and zipfile do"
            )
        }
        let declaredEnd = found.offset + found.length
        if declaredEnd > size {
            note(
                .commentLength, .error, at: found.offset,
                "the end record's comment runs \(declaredEnd - size) byte(s) past the end of the file")
        } else if declaredEnd < size {
            note(.dataAfterArchive, .error, at: declaredEnd, "\(size - declaredEnd) byte(s) follow the end record")
        }
        return found
    }

    /// Positions of `PK\x05\x06` that leave room for a whole record, last first. The 64 KiB tail of every
    /// checkpoint is searched, so the search jumps from one `P` to the next with the C library's `memchr`
    /// instead of testing every position.
    static func endRecordSignatures(in tail: [UInt8]) -> [Int] {
        var positions: [Int] = []
        tail.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, buffer.count >= ZipEndRecord.fixedLength else { return }
            let end = buffer.count - ZipEndRecord.fixedLength + 1  // a record may start in [0, end)
            var start = 0
            while start < end, let hit = memchr(base + start, 0x50, end - start) {
                let position = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                if base[position + 1] == 0x4B, base[position + 2] == 0x05, base[position + 3] == 0x06 {
                    positions.append(position)
                }
                start = position + 1
            }
        }
        return positions.reversed()
    }
}
