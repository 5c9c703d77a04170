import ModelSealCore

/// The local file header that precedes each member's data.
///
/// Byte layout (little-endian):
///
///     offset  size  field
///          0     4  signature 0x04034B50 ("PK\3\4")
///          4     2  version needed to extract
///          6     2  general-purpose flags
///          8     2  compression method
///         10     4  modification time and date
///         14     4  CRC-32               (0 when a data descriptor carries it)
///         18     4  compressed size      (likewise; 0xFFFFFFFF: in the ZIP64 extra field)
///         22     4  uncompressed size    (likewise)
///         26     2  name length n
///         28     2  extra-field length e
///         30     n  name, then e bytes of extra fields; the member's data follows
struct ZipLocalHeader {
    static let signature: UInt32 = 0x0403_4B50
    /// Length of the header without its name and extra fields.
    static let fixedLength = 30

    let flags: UInt16
    let method: UInt16
    let crc32: UInt32
    let compressedSize: UInt32
    let uncompressedSize: UInt32
    let nameLength: Int
    let extraLength: Int

    /// Length of the whole header, name and extra fields included.
    var length: Int { Self.fixedLength + nameLength + extraLength }

    /// Parses the fixed part from `bytes`; `nil` when the signature is missing or `bytes` is
    /// shorter than `fixedLength`.
    init?(_ bytes: [UInt8]) {
        var reader = ByteReader(bytes)
        guard reader.readLittleEndian(UInt32.self) == Self.signature,
            reader.skip(2),  // version needed
            let flags = reader.readLittleEndian(UInt16.self), let method = reader.readLittleEndian(UInt16.self),
            reader.skip(4),  // time and date
            let crc32 = reader.readLittleEndian(UInt32.self),
            let compressedSize = reader.readLittleEndian(UInt32.self),
            let uncompressedSize = reader.readLittleEndian(UInt32.self),
            let nameLength = reader.readLittleEndian(UInt16.self),
            let extraLength = reader.readLittleEndian(UInt16.self)
        else { return nil }
        self.flags = flags
        self.method = method
        self.crc32 = crc32
        self.compressedSize = compressedSize
        self.uncompressedSize = uncompressedSize
        self.nameLength = Int(nameLength)
        self.extraLength = Int(extraLength)
    }
}

/// The data descriptor that follows a member's data when flag bit 3 is set.
///
/// Byte layout (little-endian; sizes are 8 bytes wide when the member uses ZIP64):
///
///     offset  size  field
///          0     4  signature 0x08074B50 ("PK\7\8"), optional
///          0     4  CRC-32
///          4   4/8  compressed size
///        8/12  4/8  uncompressed size
struct ZipDataDescriptor {
    static let signature: UInt32 = 0x0807_4B50
    /// The longest descriptor: signature, CRC and two 8-byte sizes.
    static let maxLength = 24

    let crc32: UInt32
    let compressedSize: UInt64
    let uncompressedSize: UInt64
    /// Bytes the descriptor occupies.
    let length: Int

    /// Parses the descriptor at the start of `bytes`; `wide` selects 8-byte sizes. `nil` when
    /// `bytes` is shorter than `length(signed:wide:)`.
    init?(_ bytes: [UInt8], wide: Bool) {
        var reader = ByteReader(bytes)
        var signed = reader
        if signed.readLittleEndian(UInt32.self) == Self.signature { reader = signed }
        func size() -> UInt64? {
            wide ? reader.readLittleEndian(UInt64.self) : reader.readLittleEndian(UInt32.self).map(UInt64.init)
        }
        guard let crc32 = reader.readLittleEndian(UInt32.self), let compressedSize = size(),
            let uncompressedSize = size()
        else { return nil }
        self.crc32 = crc32
        self.compressedSize = compressedSize
        self.uncompressedSize = uncompressedSize
        self.length = reader.position
    }

    /// Bytes a descriptor occupies, with or without its signature.
    static func length(signed: Bool, wide: Bool) -> Int { (signed ? 4 : 0) + (wide ? 20 : 12) }

    /// Whether `bytes` begins with the optional signature.
    static func isSigned(_ bytes: [UInt8]) -> Bool {
        var reader = ByteReader(bytes)
        return reader.readLittleEndian(UInt32.self) == signature
    }
}

extension ZipWalker {
    /// Checks the local header at `localOffset` against its central entry and returns the member,
    /// data descriptor included; disagreements are noted, structural breaks thrown.
    mutating func checkLocalHeader(
        of central: ZipCentralEntry, at localOffset: Int, directoryOffset: Int
    ) throws -> ZipEntry {
        let name = central.name
        guard directoryOffset >= ZipLocalHeader.fixedLength, localOffset <= directoryOffset - ZipLocalHeader.fixedLength
        else { throw bad(localOffset, "local header lies inside or after the central directory", member: name) }
        guard let header = ZipLocalHeader(try source.read(at: localOffset, count: ZipLocalHeader.fixedLength)) else {
            throw bad(localOffset, "local header signature missing", member: name)
        }
        let variableStart = localOffset + ZipLocalHeader.fixedLength
        let variable = try source.read(variableStart..<(localOffset + header.length), what: "zip local header")
        let extra = variable[header.nameLength...]
        let dataOffset = localOffset + header.length
        if variable[0..<header.nameLength] != central.nameBytes {
            note(.localCentralMismatch, .error, at: localOffset, member: name, "local header names a different file")
        }
        if header.flags != central.flags || header.method != central.method {
            note(
                .localCentralMismatch, .error, at: localOffset, member: name,
                "local header flags or method differ from the central directory")
        }
        var localCompressed = UInt64(header.compressedSize)
        var localUncompressed = UInt64(header.uncompressedSize)
        let escape = Zip64ExtraField.escape32
        if header.compressedSize == escape || header.uncompressedSize == escape, var zip64 = Zip64ExtraField(in: extra)
        {
            // A short field reads as 0, which then disagrees with any non-zero central size.
            localUncompressed = zip64.resolve(localUncompressed) ?? 0
            localCompressed = zip64.resolve(localCompressed) ?? 0
        }
        let usesDescriptor = central.flags & ZipArchive.dataDescriptorFlag != 0
        let localAgrees =
            header.crc32 == central.crc32 && localCompressed == central.compressedSize
            && localUncompressed == central.uncompressedSize
        let localDeferred = header.crc32 == 0 && localCompressed == 0 && localUncompressed == 0
        if !(localAgrees || (usesDescriptor && localDeferred)) {
            note(
                .localCentralMismatch, .error, at: localOffset, member: name,
                "local header sizes or CRC differ from the central directory")
        }
        let (dataEnd, overflow) = dataOffset.addingReportingOverflow(Int(central.compressedSize))
        guard !overflow, dataEnd <= directoryOffset else {
            throw bad(localOffset, "member data runs past the central directory", member: name)
        }
        var end = dataEnd
        if usesDescriptor {
            let wide = Zip64ExtraField(in: extra) != nil
            end += try checkDataDescriptor(of: central, at: dataEnd, wide: wide, directoryOffset: directoryOffset)
        }
        return ZipEntry(
            name: name, localHeaderOffset: localOffset, dataOffset: dataOffset,
            compressedSize: Int(central.compressedSize), uncompressedSize: Int(central.uncompressedSize),
            crc32: central.crc32, method: central.method, flags: central.flags, endOffset: end)
    }

    /// Checks the data descriptor at `dataEnd` against the central entry (which is authoritative)
    /// and returns its length. `hasZip64Extra` or sizes at the 32-bit limit select 8-byte sizes.
    mutating func checkDataDescriptor(
        of central: ZipCentralEntry, at dataEnd: Int, wide hasZip64Extra: Bool, directoryOffset: Int
    ) throws -> Int {
        let available = min(ZipDataDescriptor.maxLength, directoryOffset - dataEnd)
        let bytes = try source.read(at: dataEnd, count: available)
        let limit = UInt64(Zip64ExtraField.escape32)
        let wide = central.compressedSize >= limit || central.uncompressedSize >= limit || hasZip64Extra
        let length = ZipDataDescriptor.length(signed: ZipDataDescriptor.isSigned(bytes), wide: wide)
        guard let descriptor = ZipDataDescriptor(bytes, wide: wide) else {
            throw truncated("zip data descriptor", dataEnd, length - bytes.count)
        }
        if descriptor.crc32 != central.crc32 || descriptor.compressedSize != central.compressedSize
            || descriptor.uncompressedSize != central.uncompressedSize
        {
            note(
                .descriptorMismatch, .error, at: dataEnd, member: central.name,
                "data descriptor differs from the central directory")
        }
        return descriptor.length
    }
}
