import ModelSealCore

/// One member of a zip archive, as the central directory and its local header agree on it.
public struct ZipEntry: Sendable {
    public let name: String
    /// Offset of the local file header.
    public let localHeaderOffset: Int
    /// Offset of the member's first data byte.
    public let dataOffset: Int
    public let compressedSize: Int
    public let uncompressedSize: Int
    public let crc32: UInt32
    /// 0 = stored, 8 = deflate.
    public let method: UInt16
    public let flags: UInt16
    /// One past the member's last byte, data descriptor included.
    public let endOffset: Int

    /// The data range in the archive.
    public var dataRange: Range<Int> { dataOffset..<(dataOffset + compressedSize) }
}

/// Something the zip walker noticed; errors make a strict open fail, warnings never do.
public struct ZipDiagnostic: Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case localCentralMismatch = "local-central-mismatch"
        case descriptorMismatch = "descriptor-mismatch"
        case duplicateName = "duplicate-name"
        case dataBeforeArchive = "data-before-archive"
        case dataAfterArchive = "data-after-archive"
        case gapBetweenMembers = "gap-between-members"
        case overlappingMembers = "overlapping-members"
        case encryptedMember = "encrypted-member"
        case unsupportedCompression = "unsupported-compression"
        case crcMismatch = "crc-mismatch"
        case invalidName = "invalid-name"
    }

    public enum Severity: String, Sendable { case error, warning }

    public let kind: Kind
    public let severity: Severity
    public let offset: Int
    public let member: String?
    public let message: String

    public var description: String {
        let at = member.map { " (member \"\($0)\")" } ?? ""
        return "\(severity.rawValue): \(kind.rawValue) at offset \(offset)\(at): \(message)"
    }
}

/// A strict, read-only view of a zip archive that reads only its directories.
///
/// Rules (docs/FORMATS.md, "zip walker"): one disk; the end record found exactly at the end of
/// the file; ZIP64 records where sizes need them; the central directory consumed exactly; every
/// local header cross-checked against its central entry (name, flags, method, sizes, CRC, data
/// descriptor); members laid end to end from offset 0 up to the central directory with no gap,
/// overlap or duplicate name. CRCs are not computed when opening (`verifyCRC` does it on request).
public struct ZipArchive: Sendable {
    /// Caps on what an archive may declare.
    public enum Limits {
        public static let maxEntries = 1 << 20
        public static let maxCentralDirectoryBytes = 256 << 20
        static let maxCommentLength = 0xFFFF
    }

    public let source: any ByteSource
    /// Members in central-directory order.
    public let entries: [ZipEntry]
    public let diagnostics: [ZipDiagnostic]
    /// Offset and size of the central directory.
    public let centralDirectoryOffset: Int
    public let centralDirectorySize: Int
    private let index: [String: Int]

    static let localSignature: UInt32 = 0x0403_4B50
    static let centralSignature: UInt32 = 0x0201_4B50
    static let endSignature: UInt32 = 0x0605_4B50
    static let zip64EndSignature: UInt32 = 0x0606_4B50
    static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    static let descriptorSignature: UInt32 = 0x0807_4B50

    /// Whether `source` starts like a zip archive (a local header or an empty archive's end record).
    public static func looksLikeZip(_ prefix: [UInt8]) -> Bool {
        prefix.count >= 4 && prefix[0] == 0x50 && prefix[1] == 0x4B
            && ((prefix[2] == 3 && prefix[3] == 4) || (prefix[2] == 5 && prefix[3] == 6))
    }

    /// Walks the archive's directories. With `strict`, any error-severity diagnostic throws.
    public init(source: any ByteSource, strict: Bool = true) throws {
        var walker = ZipWalker(source: source)
        try walker.walk()
        if strict, let first = walker.diagnostics.first(where: { $0.severity == .error }) {
            throw ModelFormatsError.zip(offset: first.offset, member: first.member, reason: first.message)
        }
        self.source = source
        self.entries = walker.entries
        self.diagnostics = walker.diagnostics
        self.centralDirectoryOffset = walker.centralDirectoryOffset
        self.centralDirectorySize = walker.centralDirectorySize
        self.index = walker.index
    }

    /// The member called `name`.
    public func entry(named name: String) -> ZipEntry? {
        index[name].map { entries[$0] }
    }

    /// The bytes of a stored member, at most `limit` of them.
    public func read(_ entry: ZipEntry, limit: Int) throws -> [UInt8] {
        guard entry.method == 0 else {
            if entry.method == 8 {
                guard entry.uncompressedSize <= limit, entry.compressedSize <= limit else {
                    throw ModelFormatsError.limitExceeded(
                        what: "zip member \"\(entry.name)\" size", limit: limit, offset: entry.dataOffset)
                }
                let compressed = try source.read(entry.dataRange, what: "zip member \"\(entry.name)\"")
                return try Inflate.decompress(
                    compressed, expectedSize: entry.uncompressedSize, offset: entry.dataOffset)
            }
            throw ModelFormatsError.unsupported("zip member \"\(entry.name)\" uses compression method \(entry.method)")
        }
        guard entry.compressedSize <= limit else {
            throw ModelFormatsError.limitExceeded(
                what: "zip member \"\(entry.name)\" size", limit: limit, offset: entry.dataOffset)
        }
        return try source.read(entry.dataRange, what: "zip member \"\(entry.name)\"")
    }

    /// Computes the member's CRC-32 (off the hot path) and reports a mismatch as a warning:
    /// torch can legitimately write archives with CRC checking off.
    public func verifyCRC(_ entry: ZipEntry, chunkSize: Int = 1 << 20) throws -> ZipDiagnostic? {
        guard entry.method == 0 else { return nil }
        var crc = CRC32()
        var position = entry.dataOffset
        while position < entry.dataRange.upperBound {
            let count = min(chunkSize, entry.dataRange.upperBound - position)
            let chunk = try source.read(at: position, count: count)
            chunk.withUnsafeBytes { crc.update($0) }
            position += count
        }
        guard crc.value != entry.crc32 else { return nil }
        return ZipDiagnostic(
            kind: .crcMismatch, severity: .warning, offset: entry.localHeaderOffset, member: entry.name,
            message: "stored CRC-32 \(hex(entry.crc32)) but the data hashes to \(hex(crc.value))")
    }
}

func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}

/// The walk behind `ZipArchive.init`.
struct ZipWalker {
    let source: any ByteSource
    var entries: [ZipEntry] = []
    /// Position in `entries` of the first member with each name.
    var index: [String: Int] = [:]
    var diagnostics: [ZipDiagnostic] = []
    var centralDirectoryOffset = 0
    var centralDirectorySize = 0

    init(source: any ByteSource) { self.source = source }

    mutating func note(
        _ kind: ZipDiagnostic.Kind, _ severity: ZipDiagnostic.Severity, at offset: Int, member: String? = nil,
        _ message: String
    ) {
        diagnostics.append(
            ZipDiagnostic(kind: kind, severity: severity, offset: offset, member: member, message: message))
    }

    func truncated(_ what: String, _ offset: Int, _ needed: Int) -> ModelFormatsError {
        .truncated(what: what, offset: offset, needed: needed)
    }

    func bad(_ offset: Int, _ reason: String, member: String? = nil) -> ModelFormatsError {
        .zip(offset: offset, member: member, reason: reason)
    }

    mutating func walk() throws {
        let size = source.size
        guard size >= 22 else { throw truncated("zip end record", 0, 22 - size) }

        // 1. The end-of-central-directory record: the last one whose comment reaches the end.
        let tailLength = min(size, 22 + ZipArchive.Limits.maxCommentLength)
        let tailStart = size - tailLength
        let tail = try source.read(at: tailStart, count: tailLength)
        var endOffset: Int?
        var fallback: Int?
        var position = tail.count - 22
        while position >= 0 {
            if readU32(tail, position) == ZipArchive.endSignature {
                let commentLength = Int(readU16(tail, position + 20))
                if position + 22 + commentLength == tail.count {
                    endOffset = tailStart + position
                    break
                }
                if fallback == nil { fallback = tailStart + position }
            }
            position -= 1
        }
        if endOffset == nil, let found = fallback {
            let commentLength = Int(readU16(tail, found - tailStart + 20))
            let declaredEnd = found + 22 + commentLength
            if declaredEnd > size { throw truncated("zip comment", found, declaredEnd - size) }
            note(.dataAfterArchive, .error, at: declaredEnd, "\(size - declaredEnd) byte(s) follow the end record")
            endOffset = found
        }
        guard let end = endOffset else {
            throw bad(max(0, size - 22), "no end-of-central-directory record: not a zip archive or truncated")
        }
        let record = Array(tail[(end - tailStart)..<(end - tailStart + 22)])
        let disk = readU16(record, 4)
        let centralDisk = readU16(record, 6)
        var entriesOnDisk = Int(readU16(record, 8))
        var totalEntries = Int(readU16(record, 10))
        var directorySize = Int(readU32(record, 12))
        var directoryOffset = Int(readU32(record, 16))
        guard disk == 0 || disk == 0xFFFF, centralDisk == 0 || centralDisk == 0xFFFF else {
            throw bad(end, "multi-disk archives are not supported")
        }

        // 2. ZIP64 locator and record, when present just before the end record.
        var directoryEnd = end
        if end >= 20, readU32(try source.read(at: end - 20, count: 4), 0) == ZipArchive.zip64LocatorSignature {
            let locator = try source.read(at: end - 20, count: 20)
            let recordOffset64 = readU64(locator, 8)
            guard readU32(locator, 4) == 0, readU32(locator, 16) <= 1 else {
                throw bad(end - 20, "multi-disk ZIP64 archives are not supported")
            }
            guard end >= 20 + 56 else { throw bad(end - 20, "ZIP64 locator without room for its end record") }
            var recordOffset = Int(clamping: recordOffset64)
            var zip64 = recordOffset64 <= UInt64(end - 20 - 56) ? try source.read(at: recordOffset, count: 56) : []
            if readU32(zip64, 0) != ZipArchive.zip64EndSignature {
                // Bytes prepended to the archive shift every absolute offset; the record then sits
                // just before the locator instead of where the locator says.
                let adjacent = end - 20 - 56
                zip64 = try source.read(at: adjacent, count: 56)
                guard readU32(zip64, 0) == ZipArchive.zip64EndSignature, adjacent > recordOffset else {
                    throw bad(end - 20, "ZIP64 end record signature missing where the locator points")
                }
                note(
                    .dataBeforeArchive, .error, at: 0,
                    "\(adjacent - recordOffset) byte(s) precede the archive (ZIP64 offsets are shifted)")
                recordOffset = adjacent
            }
            let recordSize = readU64(zip64, 4)
            guard recordSize >= 44, recordSize <= UInt64(end - 20 - recordOffset - 12) else {
                throw bad(recordOffset, "ZIP64 end record size is inconsistent")
            }
            if recordOffset + 12 + Int(recordSize) != end - 20 {
                note(.gapBetweenMembers, .error, at: recordOffset, "bytes between the ZIP64 end record and its locator")
            }
            guard readU32(zip64, 16) == 0, readU32(zip64, 20) == 0 else {
                throw bad(recordOffset, "multi-disk ZIP64 archives are not supported")
            }
            let entries64 = readU64(zip64, 24)
            let total64 = readU64(zip64, 32)
            let size64 = readU64(zip64, 40)
            let offset64 = readU64(zip64, 48)
            guard total64 <= UInt64(ZipArchive.Limits.maxEntries), entries64 == total64 else {
                throw ModelFormatsError.limitExceeded(
                    what: "zip entry count", limit: ZipArchive.Limits.maxEntries, offset: recordOffset)
            }
            guard size64 <= UInt64(size), offset64 <= UInt64(size) else {
                throw bad(recordOffset, "central directory lies outside the file")
            }
            // The 32-bit fields must either agree or be the ZIP64 escape value.
            func agrees(_ small: Int, _ big: UInt64, _ escape: Int) -> Bool { small == escape || UInt64(small) == big }
            if !agrees(totalEntries, total64, 0xFFFF) || !agrees(directorySize, size64, 0xFFFF_FFFF)
                || !agrees(directoryOffset, offset64, 0xFFFF_FFFF)
            {
                note(.localCentralMismatch, .error, at: end, "end record and ZIP64 end record disagree")
            }
            entriesOnDisk = Int(entries64)
            totalEntries = Int(total64)
            directorySize = Int(size64)
            directoryOffset = Int(offset64)
            directoryEnd = recordOffset
        }
        guard entriesOnDisk == totalEntries else { throw bad(end, "entry counts disagree") }
        guard totalEntries <= ZipArchive.Limits.maxEntries else {
            throw ModelFormatsError.limitExceeded(
                what: "zip entry count", limit: ZipArchive.Limits.maxEntries, offset: end)
        }
        guard directorySize <= ZipArchive.Limits.maxCentralDirectoryBytes else {
            throw ModelFormatsError.limitExceeded(
                what: "zip central directory size", limit: ZipArchive.Limits.maxCentralDirectoryBytes, offset: end)
        }
        guard directorySize <= directoryEnd else { throw bad(end, "central directory larger than the archive") }
        let actualStart = directoryEnd - directorySize
        var shift = 0
        if actualStart != directoryOffset {
            // Bytes prepended to the archive shift everything: an archive hidden behind other data.
            // Walk it at its real position so a lenient caller (the scanner) still sees the members.
            if actualStart > directoryOffset {
                shift = actualStart - directoryOffset
                if !diagnostics.contains(where: { $0.kind == .dataBeforeArchive }) {
                    note(
                        .dataBeforeArchive, .error, at: 0, "\(shift) byte(s) precede the archive (offsets are shifted)")
                }
                directoryOffset = actualStart
            } else {
                throw bad(end, "central directory offset and size do not meet the end record")
            }
        }
        guard directoryOffset + directorySize <= directoryEnd else {
            throw bad(end, "central directory overlaps the end record")
        }
        centralDirectoryOffset = directoryOffset
        centralDirectorySize = directorySize

        // 3. The central directory, consumed exactly.
        let directory = try source.read(at: directoryOffset, count: directorySize)
        var reader = ByteReader(directory)
        var parsed: [ZipEntry] = []
        parsed.reserveCapacity(totalEntries)
        index.reserveCapacity(min(totalEntries, directorySize / 46))
        for _ in 0..<totalEntries {
            let entryOffset = directoryOffset + reader.position
            guard let signature = reader.readLittleEndian(UInt32.self), reader.remaining >= 42 else {
                throw truncated("zip central directory entry", entryOffset, 46)
            }
            guard signature == ZipArchive.centralSignature else {
                throw bad(entryOffset, "central directory entry signature missing")
            }
            _ = reader.readLittleEndian(UInt16.self)  // version made by
            _ = reader.readLittleEndian(UInt16.self)  // version needed
            let flags = reader.readLittleEndian(UInt16.self) ?? 0
            let method = reader.readLittleEndian(UInt16.self) ?? 0
            _ = reader.readLittleEndian(UInt32.self)  // time and date
            let crc = reader.readLittleEndian(UInt32.self) ?? 0
            var compressed = UInt64(reader.readLittleEndian(UInt32.self) ?? 0)
            var uncompressed = UInt64(reader.readLittleEndian(UInt32.self) ?? 0)
            let nameLength = Int(reader.readLittleEndian(UInt16.self) ?? 0)
            let extraLength = Int(reader.readLittleEndian(UInt16.self) ?? 0)
            let commentLength = Int(reader.readLittleEndian(UInt16.self) ?? 0)
            let diskStart = reader.readLittleEndian(UInt16.self) ?? 0
            _ = reader.readLittleEndian(UInt16.self)  // internal attributes
            _ = reader.readLittleEndian(UInt32.self)  // external attributes
            var localOffset = UInt64(reader.readLittleEndian(UInt32.self) ?? 0)
            guard let nameBytes = reader.readBytes(nameLength), let extra = reader.readBytes(extraLength),
                reader.skip(commentLength)
            else {
                throw truncated("zip central directory entry", entryOffset, nameLength + extraLength + commentLength)
            }
            guard let name = String(strictUTF8: nameBytes) else {
                throw bad(entryOffset, "member name is not valid UTF-8")
            }
            // ZIP64 extended information: only the fields escaped in the fixed header, in order.
            if compressed == 0xFFFF_FFFF || uncompressed == 0xFFFF_FFFF || localOffset == 0xFFFF_FFFF {
                guard let zip64 = findExtra(Array(extra), id: 0x0001) else {
                    throw bad(entryOffset, "sizes escaped to ZIP64 but no ZIP64 extra field", member: name)
                }
                var fields = ByteReader(zip64)
                if uncompressed == 0xFFFF_FFFF {
                    guard let value = fields.readLittleEndian(UInt64.self) else {
                        throw bad(entryOffset, "short ZIP64 extra field", member: name)
                    }
                    uncompressed = value
                }
                if compressed == 0xFFFF_FFFF {
                    guard let value = fields.readLittleEndian(UInt64.self) else {
                        throw bad(entryOffset, "short ZIP64 extra field", member: name)
                    }
                    compressed = value
                }
                if localOffset == 0xFFFF_FFFF {
                    guard let value = fields.readLittleEndian(UInt64.self) else {
                        throw bad(entryOffset, "short ZIP64 extra field", member: name)
                    }
                    localOffset = value
                }
            }
            guard diskStart == 0 || diskStart == 0xFFFF else {
                throw bad(entryOffset, "member on another disk", member: name)
            }
            guard compressed <= UInt64(size), uncompressed <= UInt64(Int.max), localOffset <= UInt64(size) else {
                throw bad(entryOffset, "member declares sizes or offsets beyond the file", member: name)
            }
            if flags & 0x0001 != 0 {
                note(.encryptedMember, .error, at: entryOffset, member: name, "encrypted members are not supported")
            }
            if method != 0 && method != 8 {
                note(
                    .unsupportedCompression, .error, at: entryOffset, member: name,
                    "compression method \(method) is not supported")
            }
            if method == 0 && compressed != uncompressed {
                note(
                    .localCentralMismatch, .error, at: entryOffset, member: name,
                    "stored member with different compressed and uncompressed sizes")
            }
            if let first = index.updateValue(parsed.count, forKey: name) {
                index[name] = first  // the first copy keeps the name
                note(
                    .duplicateName, .error, at: entryOffset, member: name,
                    "the name appears twice; readers disagree on which copy wins")
            }
            if isUnsafeMemberName(nameBytes) {
                note(.invalidName, .warning, at: entryOffset, member: name, "absolute or parent-relative member name")
            }
            let (shiftedOffset, shiftOverflow) = Int(localOffset).addingReportingOverflow(shift)
            guard !shiftOverflow else { throw bad(entryOffset, "member offset overflows", member: name) }
            let entry = try checkLocalHeader(
                name: name, nameBytes: nameBytes, centralOffset: entryOffset, localOffset: shiftedOffset,
                flags: flags, method: method, crc: crc, compressed: Int(compressed), uncompressed: Int(uncompressed),
                directoryOffset: directoryOffset)
            parsed.append(entry)
        }
        guard reader.isAtEnd else {
            throw bad(
                directoryOffset + reader.position,
                "\(reader.remaining) unexpected byte(s) at the end of the central directory")
        }

        // 4. Layout: members end to end from 0 to the central directory.
        var cursor = 0
        for entry in parsed.sorted(by: { $0.localHeaderOffset < $1.localHeaderOffset }) {
            if entry.localHeaderOffset < cursor {
                note(
                    .overlappingMembers, .error, at: entry.localHeaderOffset, member: entry.name,
                    "member overlaps the previous one")
            } else if entry.localHeaderOffset > cursor {
                if cursor == 0 {
                    note(
                        .dataBeforeArchive, .error, at: 0, "\(entry.localHeaderOffset) byte(s) precede the first member"
                    )
                } else {
                    note(
                        .gapBetweenMembers, .error, at: cursor, member: entry.name,
                        "\(entry.localHeaderOffset - cursor) unaccounted byte(s) before this member")
                }
            }
            cursor = max(cursor, entry.endOffset)
        }
        if cursor < directoryOffset {
            let kind: ZipDiagnostic.Kind = parsed.isEmpty ? .dataBeforeArchive : .gapBetweenMembers
            note(
                kind, .error, at: cursor, "\(directoryOffset - cursor) unaccounted byte(s) before the central directory"
            )
        } else if cursor > directoryOffset {
            note(.overlappingMembers, .error, at: directoryOffset, "the last member runs into the central directory")
        }
        entries = parsed
    }

    mutating func checkLocalHeader(
        name: String, nameBytes: ArraySlice<UInt8>, centralOffset: Int, localOffset: Int, flags: UInt16, method: UInt16,
        crc: UInt32, compressed: Int, uncompressed: Int, directoryOffset: Int
    ) throws -> ZipEntry {
        guard directoryOffset >= 30, localOffset <= directoryOffset - 30 else {
            throw bad(localOffset, "local header lies inside or after the central directory", member: name)
        }
        let header = try source.read(at: localOffset, count: 30)
        guard readU32(header, 0) == ZipArchive.localSignature else {
            throw bad(localOffset, "local header signature missing", member: name)
        }
        let localFlags = readU16(header, 6)
        let localMethod = readU16(header, 8)
        let localCRC = readU32(header, 14)
        var localCompressed = UInt64(readU32(header, 18))
        var localUncompressed = UInt64(readU32(header, 22))
        let nameLength = Int(readU16(header, 26))
        let extraLength = Int(readU16(header, 28))
        let variable = try source.read(
            localOffset + 30..<(localOffset + 30 + nameLength + extraLength), what: "zip local header")
        let localName = variable[0..<nameLength]
        let extra = variable[nameLength...]
        let dataOffset = localOffset + 30 + nameLength + extraLength
        if localName != nameBytes {
            note(.localCentralMismatch, .error, at: localOffset, member: name, "local header names a different file")
        }
        if localFlags != flags || localMethod != method {
            note(
                .localCentralMismatch, .error, at: localOffset, member: name,
                "local header flags or method differ from the central directory")
        }
        if localCompressed == 0xFFFF_FFFF || localUncompressed == 0xFFFF_FFFF, let zip64 = findExtra(Array(extra), id: 0x0001)
        {
            var fields = ByteReader(zip64)
            if localUncompressed == 0xFFFF_FFFF { localUncompressed = fields.readLittleEndian(UInt64.self) ?? 0 }
            if localCompressed == 0xFFFF_FFFF { localCompressed = fields.readLittleEndian(UInt64.self) ?? 0 }
        }
        let usesDescriptor = flags & 0x0008 != 0
        let localAgrees =
            localCRC == crc && localCompressed == UInt64(compressed) && localUncompressed == UInt64(uncompressed)
        let localDeferred = localCRC == 0 && localCompressed == 0 && localUncompressed == 0
        if !(localAgrees || (usesDescriptor && localDeferred)) {
            note(
                .localCentralMismatch, .error, at: localOffset, member: name,
                "local header sizes or CRC differ from the central directory")
        }
        let (dataEnd, overflow) = dataOffset.addingReportingOverflow(compressed)
        guard !overflow, dataEnd <= directoryOffset else {
            throw bad(localOffset, "member data runs past the central directory", member: name)
        }
        var end = dataEnd
        if usesDescriptor {
            // Optional signature, CRC, then 4- or 8-byte sizes; the central directory is authoritative.
            let available = min(24, directoryOffset - dataEnd)
            let bytes = try source.read(at: dataEnd, count: available)
            var skip = 0
            if bytes.count >= 4, readU32(bytes, 0) == ZipArchive.descriptorSignature { skip = 4 }
            let wide = compressed >= 0xFFFF_FFFF || uncompressed >= 0xFFFF_FFFF || findExtra(Array(extra), id: 0x0001) != nil
            let length = skip + (wide ? 20 : 12)
            guard bytes.count >= length else {
                throw truncated("zip data descriptor", dataEnd, length - bytes.count)
            }
            let descriptorCRC = readU32(bytes, skip)
            let descriptorCompressed = wide ? readU64(bytes, skip + 4) : UInt64(readU32(bytes, skip + 4))
            let descriptorUncompressed = wide ? readU64(bytes, skip + 12) : UInt64(readU32(bytes, skip + 8))
            if descriptorCRC != crc || descriptorCompressed != UInt64(compressed)
                || descriptorUncompressed != UInt64(uncompressed)
            {
                note(
                    .descriptorMismatch, .error, at: dataEnd, member: name,
                    "data descriptor differs from the central directory")
            }
            end = dataEnd + length
        }
        return ZipEntry(
            name: name, localHeaderOffset: localOffset, dataOffset: dataOffset, compressedSize: compressed,
            uncompressedSize: uncompressed, crc32: crc, method: method, flags: flags, endOffset: end)
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

func readU16(_ bytes: [UInt8], _ at: Int) -> UInt16 {
    guard at >= 0, at + 2 <= bytes.count else { return 0 }
    return UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
}

func readU32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
    guard at >= 0, at + 4 <= bytes.count else { return 0 }
    return UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
}

func readU64(_ bytes: [UInt8], _ at: Int) -> UInt64 {
    UInt64(readU32(bytes, at)) | UInt64(readU32(bytes, at + 4)) << 32
}
