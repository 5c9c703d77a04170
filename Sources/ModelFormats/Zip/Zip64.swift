import ModelSealCore

/// The ZIP64 end-of-central-directory locator, found just before the end record.
///
/// Byte layout (little-endian):
///
///     offset  size  field
///          0     4  signature 0x07064B50 ("PK\6\7")
///          4     4  disk holding the ZIP64 end record
///          8     8  offset of the ZIP64 end record
///         16     4  total number of disks
struct Zip64Locator {
    static let signature: UInt32 = 0x0706_4B50
    static let length = 20

    let recordDisk: UInt32
    let recordOffset: UInt64
    let diskCount: UInt32

    /// Parses `bytes`; `nil` when they do not start with the signature or are shorter than `length`.
    init?(_ bytes: [UInt8]) {
        var reader = ByteReader(bytes)
        guard reader.readLittleEndian(UInt32.self) == Self.signature,
            let recordDisk = reader.readLittleEndian(UInt32.self),
            let recordOffset = reader.readLittleEndian(UInt64.self),
            let diskCount = reader.readLittleEndian(UInt32.self)
        else { return nil }
        self.recordDisk = recordDisk
        self.recordOffset = recordOffset
        self.diskCount = diskCount
    }
}

/// The ZIP64 end-of-central-directory record, which holds the 64-bit versions of the end record's fields.
///
/// Byte layout (little-endian):
///
///     offset  size  field
///          0     4  signature 0x06064B50 ("PK\6\6")
///          4     8  size of the record after this field (44 + extensible data)
///         12     2  version made by
///         14     2  version needed to extract
///         16     4  number of this disk
///         20     4  disk on which the central directory starts
///         24     8  central-directory entries on this disk
///         32     8  central-directory entries in total
///         40     8  central-directory size in bytes
///         48     8  central-directory offset
///         56     …  extensible data (ignored)
struct Zip64EndRecord {
    static let signature: UInt32 = 0x0606_4B50
    /// Length of the record without extensible data.
    static let fixedLength = 56
    /// Signature and size field, which the declared size does not count.
    static let leadingLength = 12
    /// The smallest declared size: the fixed fields after the size field.
    static let minimumDeclaredSize = UInt64(fixedLength - leadingLength)

    /// Absolute offset of the record's signature.
    let offset: Int
    let declaredSize: UInt64
    let disk: UInt32
    let centralDirectoryDisk: UInt32
    let entriesOnDisk: UInt64
    let totalEntries: UInt64
    let directorySize: UInt64
    let directoryOffset: UInt64

    /// Parses the fixed part from `bytes`, read at `offset`; `nil` when the signature is missing
    /// or `bytes` is shorter than `fixedLength`.
    init?(_ bytes: [UInt8], offset: Int) {
        var reader = ByteReader(bytes)
        guard reader.readLittleEndian(UInt32.self) == Self.signature,
            let declaredSize = reader.readLittleEndian(UInt64.self),
            reader.skip(4),  // versions made by and needed
            let disk = reader.readLittleEndian(UInt32.self),
            let centralDirectoryDisk = reader.readLittleEndian(UInt32.self),
            let entriesOnDisk = reader.readLittleEndian(UInt64.self),
            let totalEntries = reader.readLittleEndian(UInt64.self),
            let directorySize = reader.readLittleEndian(UInt64.self),
            let directoryOffset = reader.readLittleEndian(UInt64.self)
        else { return nil }
        self.offset = offset
        self.declaredSize = declaredSize
        self.disk = disk
        self.centralDirectoryDisk = centralDirectoryDisk
        self.entriesOnDisk = entriesOnDisk
        self.totalEntries = totalEntries
        self.directorySize = directorySize
        self.directoryOffset = directoryOffset
    }
}

/// The ZIP64 extended-information extra field of a central or local header.
///
/// Extra fields are a sequence of `id (2) | length (2) | payload (length)`, little-endian. The
/// payload of id 0x0001 holds 8-byte values for exactly the header fields escaped to `0xFFFF_FFFF`,
/// in this order: uncompressed size, compressed size, local header offset (then a 4-byte disk
/// number, which is never read here).
struct Zip64ExtraField {
    static let id: UInt16 = 0x0001
    /// The value of a 32-bit header field whose real value is in this extra field.
    static let escape32: UInt32 = 0xFFFF_FFFF

    private var fields: ByteReader

    /// The field among `extra`; `nil` when absent or when the extra fields are malformed before it.
    init?(in extra: ArraySlice<UInt8>) {
        guard let payload = findExtra(Array(extra), id: Self.id) else { return nil }
        fields = ByteReader(payload)
    }

    /// `value` when it is not escaped, else the next 8-byte value; `nil` when the payload is short.
    mutating func resolve(_ value: UInt64) -> UInt64? {
        guard value == UInt64(Self.escape32) else { return value }
        return fields.readLittleEndian(UInt64.self)
    }
}

/// The payload of extra field `id`, if present and well-formed.
func findExtra(_ extra: [UInt8], id: UInt16) -> [UInt8]? {
    var reader = ByteReader(extra)
    while reader.remaining >= 4 {
        guard let tag = reader.readLittleEndian(UInt16.self), let length = reader.readLittleEndian(UInt16.self),
            let payload = reader.readBytes(Int(length))
        else { return nil }
        if tag == id { return Array(payload) }
    }
    return nil
}

extension ZipWalker {
    /// Step 2: when a ZIP64 locator sits just before the end record, the ZIP64 end record's
    /// fields replace the end record's, and the central directory must end where that record starts.
    mutating func applyZip64(before end: ZipEndRecord, to bounds: inout ZipDirectoryBounds) throws {
        let locatorOffset = end.offset - Zip64Locator.length
        guard locatorOffset >= 0,
            let locator = Zip64Locator(try source.read(at: locatorOffset, count: Zip64Locator.length))
        else { return }
        guard locator.recordDisk == 0, locator.diskCount <= 1 else {
            throw bad(locatorOffset, "multi-disk ZIP64 archives are not supported")
        }
        guard locatorOffset >= Zip64EndRecord.fixedLength else {
            throw bad(locatorOffset, "ZIP64 locator without room for its end record")
        }
        let record = try findZip64EndRecord(locator, locatorOffset: locatorOffset)
        guard record.declaredSize >= Zip64EndRecord.minimumDeclaredSize,
            record.declaredSize <= UInt64(locatorOffset - record.offset - Zip64EndRecord.leadingLength)
        else { throw bad(record.offset, "ZIP64 end record size is inconsistent") }
        if record.offset + Zip64EndRecord.leadingLength + Int(record.declaredSize) != locatorOffset {
            note(.gapBetweenMembers, .error, at: record.offset, "bytes between the ZIP64 end record and its locator")
        }
        guard record.disk == 0, record.centralDirectoryDisk == 0 else {
            throw bad(record.offset, "multi-disk ZIP64 archives are not supported")
        }
        guard record.totalEntries <= UInt64(ZipArchive.Limits.maxEntries), record.entriesOnDisk == record.totalEntries
        else {
            throw ModelFormatsError.limitExceeded(
                what: "zip entry count", limit: ZipArchive.Limits.maxEntries, offset: record.offset)
        }
        guard record.directorySize <= UInt64(source.size), record.directoryOffset <= UInt64(source.size) else {
            throw bad(record.offset, "central directory lies outside the file")
        }
        // The 32-bit fields must either agree or be the ZIP64 escape value.
        func agrees(_ small: Int, _ big: UInt64, _ escape: Int) -> Bool { small == escape || UInt64(small) == big }
        if !agrees(bounds.totalEntries, record.totalEntries, Int(ZipEndRecord.escape16))
            || !agrees(bounds.size, record.directorySize, Int(ZipEndRecord.escape32))
            || !agrees(bounds.offset, record.directoryOffset, Int(ZipEndRecord.escape32))
        {
            note(.localCentralMismatch, .error, at: end.offset, "end record and ZIP64 end record disagree")
        }
        bounds = ZipDirectoryBounds(
            entriesOnDisk: Int(record.entriesOnDisk), totalEntries: Int(record.totalEntries),
            size: Int(record.directorySize), offset: Int(record.directoryOffset), end: record.offset)
    }

    /// The ZIP64 end record where the locator points or, when bytes were prepended to the archive
    /// (which shifts every absolute offset), just before the locator.
    mutating func findZip64EndRecord(_ locator: Zip64Locator, locatorOffset: Int) throws -> Zip64EndRecord {
        let declared = Int(clamping: locator.recordOffset)
        let adjacent = locatorOffset - Zip64EndRecord.fixedLength
        if locator.recordOffset <= UInt64(adjacent),
            let record = Zip64EndRecord(
                try source.read(at: declared, count: Zip64EndRecord.fixedLength), offset: declared)
        {
            return record
        }
        guard
            let record = Zip64EndRecord(
                try source.read(at: adjacent, count: Zip64EndRecord.fixedLength), offset: adjacent),
            adjacent > declared
        else { throw bad(locatorOffset, "ZIP64 end record signature missing where the locator points") }
        note(
            .dataBeforeArchive, .error, at: 0,
            "\(adjacent - declared) byte(s) precede the archive (ZIP64 offsets are shifted)")
        return record
    }
}
