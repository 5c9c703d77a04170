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
        case multipleEndRecords = "multiple-end-records"
        case commentLength = "comment-length"
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
/// Rules (docs/FOREIGN-FORMATS.md, "zip walker"): one disk; the end record found exactly at the end of
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

    /// Compression method: the data is stored as is.
    static let stored: UInt16 = 0
    /// Compression method: raw deflate.
    static let deflated: UInt16 = 8
    /// General-purpose flag bit 0: the member is encrypted.
    static let encryptedFlag: UInt16 = 0x0001
    /// General-purpose flag bit 3: CRC and sizes follow the data in a data descriptor.
    static let dataDescriptorFlag: UInt16 = 0x0008

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
        guard entry.method == Self.stored else {
            if entry.method == Self.deflated {
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

    /// The first `count` bytes of a stored or deflated member, decompressing no further than that (a probe
    /// of a 1 GiB deflated member costs what 64 KiB of output needs). `complete` says the member ended.
    public func readPrefix(_ entry: ZipEntry, count: Int) throws -> (bytes: [UInt8], complete: Bool) {
        let wanted = min(count, entry.uncompressedSize)
        if entry.method == Self.stored {
            let bytes = try source.read(
                entry.dataOffset..<(entry.dataOffset + min(wanted, entry.compressedSize)),
                what: "zip member \"\(entry.name)\"")
            return (bytes, wanted >= entry.compressedSize)
        }
        guard entry.method == Self.deflated else {
            throw ModelFormatsError.unsupported("zip member \"\(entry.name)\" uses compression method \(entry.method)")
        }
        // Read compressed input in growing windows: incompressible data needs about as much input as
        // output, a bomb needs very little.
        var window = min(entry.compressedSize, wanted / 2 + 4096)
        while true {
            let input = try source.read(
                entry.dataOffset..<(entry.dataOffset + window), what: "zip member \"\(entry.name)\"")
            do {
                let result = try Inflate.prefix(
                    input, count: wanted, expectedSize: entry.uncompressedSize, offset: entry.dataOffset)
                return (result.bytes, result.complete || result.bytes.count >= entry.uncompressedSize)
            } catch ModelFormatsError.truncated(let what, let offset, let needed) {
                guard window < entry.compressedSize else {
                    throw ModelFormatsError.truncated(what: what, offset: offset, needed: needed)
                }
                window = min(entry.compressedSize, window * 2)
            }
        }
    }

    /// Computes the member's CRC-32 (off the hot path) and reports a mismatch as a warning:
    /// torch can legitimately write archives with CRC checking off.
    public func verifyCRC(_ entry: ZipEntry, chunkSize: Int = 1 << 20) throws -> ZipDiagnostic? {
        guard entry.method == Self.stored else { return nil }
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
