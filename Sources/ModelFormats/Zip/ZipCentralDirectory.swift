import ModelSealCore

/// A central-directory file header: the authoritative description of one member.
///
/// Byte layout (little-endian):
///
///     offset  size  field
///          0     4  signature 0x02014B50 ("PK\1\2")
///          4     2  version made by
///          6     2  version needed to extract
///          8     2  general-purpose flags (bit 0: encrypted, bit 3: data descriptor follows the data)
///         10     2  compression method (0 stored, 8 deflate)
///         12     4  modification time and date
///         16     4  CRC-32 of the uncompressed data
///         20     4  compressed size     (0xFFFFFFFF: in the ZIP64 extra field)
///         24     4  uncompressed size   (likewise)
///         28     2  name length n
///         30     2  extra-field length e
///         32     2  comment length c
///         34     2  disk on which the member starts
///         36     2  internal attributes
///         38     4  external attributes
///         42     4  local header offset (0xFFFFFFFF: in the ZIP64 extra field)
///         46     n  name (UTF-8), then e bytes of extra fields, then c bytes of comment
struct ZipCentralEntry {
    static let signature: UInt32 = 0x0201_4B50
    /// Length of the header without its name, extra fields and comment.
    static let fixedLength = 46

    /// Absolute offset of the header's signature.
    let offset: Int
    let flags: UInt16
    let method: UInt16
    let crc32: UInt32
    /// Sizes and offset with any ZIP64 escapes resolved.
    let compressedSize: UInt64
    let uncompressedSize: UInt64
    let localHeaderOffset: UInt64
    let diskStart: UInt16
    let nameBytes: ArraySlice<UInt8>
    let name: String
    let extra: ArraySlice<UInt8>

    /// Reads one header at the reader's position, which is `offset` in the file, resolving ZIP64
    /// escapes and checking the member lies on this disk within a file of `fileSize` bytes.
    init(_ reader: inout ByteReader, offset: Int, fileSize: Int) throws(ModelFormatsError) {
        func bad(_ reason: String, member: String? = nil) -> ModelFormatsError {
            .zip(offset: offset, member: member, reason: reason)
        }
        guard reader.remaining >= Self.fixedLength else {
            throw .truncated(what: "zip central directory entry", offset: offset, needed: Self.fixedLength)
        }
        guard reader.readLittleEndian(UInt32.self) == Self.signature else {
            throw bad("central directory entry signature missing")
        }
        guard reader.skip(4),  // versions made by and needed
            let flags = reader.readLittleEndian(UInt16.self), let method = reader.readLittleEndian(UInt16.self),
            reader.skip(4),  // time and date
            let crc32 = reader.readLittleEndian(UInt32.self),
            let compressed = reader.readLittleEndian(UInt32.self),
            let uncompressed = reader.readLittleEndian(UInt32.self),
            let nameLength = reader.readLittleEndian(UInt16.self),
            let extraLength = reader.readLittleEndian(UInt16.self),
            let commentLength = reader.readLittleEndian(UInt16.self),
            let diskStart = reader.readLittleEndian(UInt16.self),
            reader.skip(6),  // internal and external attributes
            let localOffset = reader.readLittleEndian(UInt32.self)
        else { throw .truncated(what: "zip central directory entry", offset: offset, needed: Self.fixedLength) }
        guard let nameBytes = reader.readBytes(Int(nameLength)), let extra = reader.readBytes(Int(extraLength)),
            reader.skip(Int(commentLength))
        else {
            throw .truncated(
                what: "zip central directory entry", offset: offset,
                needed: Int(nameLength) + Int(extraLength) + Int(commentLength))
        }
        guard let name = String(strictUTF8: nameBytes) else { throw bad("member name is not valid UTF-8") }
        var compressedSize = UInt64(compressed)
        var uncompressedSize = UInt64(uncompressed)
        var localHeaderOffset = UInt64(localOffset)
        let escape = Zip64ExtraField.escape32
        if compressed == escape || uncompressed == escape || localOffset == escape {
            guard var zip64 = Zip64ExtraField(in: extra) else {
                throw bad("sizes escaped to ZIP64 but no ZIP64 extra field", member: name)
            }
            guard let resolvedUncompressed = zip64.resolve(uncompressedSize),
                let resolvedCompressed = zip64.resolve(compressedSize),
                let resolvedOffset = zip64.resolve(localHeaderOffset)
            else { throw bad("short ZIP64 extra field", member: name) }
            (uncompressedSize, compressedSize, localHeaderOffset) =
                (resolvedUncompressed, resolvedCompressed, resolvedOffset)
        }
        guard diskStart == 0 || diskStart == ZipEndRecord.escape16 else {
            throw bad("member on another disk", member: name)
        }
        guard compressedSize <= UInt64(fileSize), uncompressedSize <= UInt64(Int.max),
            localHeaderOffset <= UInt64(fileSize)
        else { throw bad("member declares sizes or offsets beyond the file", member: name) }
        self.offset = offset
        self.flags = flags
        self.method = method
        self.crc32 = crc32
        self.compressedSize = compressedSize
        self.uncompressedSize = uncompressedSize
        self.localHeaderOffset = localHeaderOffset
        self.diskStart = diskStart
        self.nameBytes = nameBytes
        self.name = name
        self.extra = extra
    }
}

extension ZipWalker {
    /// Step 3: the central directory, consumed exactly; each entry is checked against its local
    /// header, whose declared offset is moved by `shift` (bytes prepended to the archive).
    mutating func readCentralDirectory(_ bounds: ZipDirectoryBounds, shift: Int) throws -> [ZipEntry] {
        let directory = try source.read(at: bounds.offset, count: bounds.size)
        var reader = ByteReader(directory)
        var parsed: [ZipEntry] = []
        parsed.reserveCapacity(bounds.totalEntries)
        index.reserveCapacity(min(bounds.totalEntries, bounds.size / ZipCentralEntry.fixedLength))
        for _ in 0..<bounds.totalEntries {
            let central = try ZipCentralEntry(&reader, offset: bounds.offset + reader.position, fileSize: source.size)
            noteCentralEntry(central, position: parsed.count)
            let (localOffset, overflow) = Int(central.localHeaderOffset).addingReportingOverflow(shift)
            guard !overflow else { throw bad(central.offset, "member offset overflows", member: central.name) }
            parsed.append(try checkLocalHeader(of: central, at: localOffset, directoryOffset: bounds.offset))
        }
        guard reader.isAtEnd else {
            throw bad(
                bounds.offset + reader.position,
                "\(reader.remaining) unexpected byte(s) at the end of the central directory")
        }
        return parsed
    }

    /// Records what is wrong with an entry but does not stop the walk; `position` is its index in `entries`.
    mutating func noteCentralEntry(_ central: ZipCentralEntry, position: Int) {
        let (offset, name) = (central.offset, central.name)
        if central.flags & ZipArchive.encryptedFlag != 0 {
            note(.encryptedMember, .error, at: offset, member: name, "encrypted members are not supported")
        }
        if central.method != ZipArchive.stored && central.method != ZipArchive.deflated {
            note(
                .unsupportedCompression, .error, at: offset, member: name,
                "compression method \(central.method) is not supported")
        }
        if central.method == ZipArchive.stored && central.compressedSize != central.uncompressedSize {
            note(
                .localCentralMismatch, .error, at: offset, member: name,
                "stored member with different compressed and uncompressed sizes")
        }
        if let first = index.updateValue(position, forKey: name) {
            index[name] = first  // the first copy keeps the name
            note(
                .duplicateName, .error, at: offset, member: name,
                "the name appears twice; readers disagree on which copy wins")
        }
        if isUnsafeMemberName(central.nameBytes) {
            note(.invalidName, .warning, at: offset, member: name, "absolute or parent-relative member name")
        }
    }
}

/// Absolute (`/x`), parent-relative (a `..` component) or NUL-carrying names, checked on the raw
/// bytes (per-Character String operations cost more than the rest of the central-directory walk).
func isUnsafeMemberName(_ name: ArraySlice<UInt8>) -> Bool {
    let slash = UInt8(ascii: "/")
    let dot = UInt8(ascii: ".")
    if name.first == slash { return true }
    return name.withUnsafeBufferPointer { bytes in
        var componentLength = 0
        var dots = 0
        for byte in bytes {
            if byte == 0 { return true }
            if byte == slash {
                if componentLength == 2 && dots == 2 { return true }
                componentLength = 0
                dots = 0
            } else {
                componentLength += 1
                if byte == dot { dots += 1 }
            }
        }
        return componentLength == 2 && dots == 2
    }
}
