import ModelSealCore

/// Where the end records say the central directory is, and how many entries it holds.
struct ZipDirectoryBounds {
    var entriesOnDisk: Int
    var totalEntries: Int
    var size: Int
    var offset: Int
    /// Where the central directory must end: at the ZIP64 end record if there is one, else at the end record.
    var end: Int

    init(entriesOnDisk: Int, totalEntries: Int, size: Int, offset: Int, end: Int) {
        self.entriesOnDisk = entriesOnDisk
        self.totalEntries = totalEntries
        self.size = size
        self.offset = offset
        self.end = end
    }

    /// The bounds the end record declares.
    init(_ record: ZipEndRecord) {
        self.init(
            entriesOnDisk: Int(record.entriesOnDisk), totalEntries: Int(record.totalEntries),
            size: Int(record.directorySize), offset: Int(record.directoryOffset), end: record.offset)
    }
}

/// The walk behind `ZipArchive.init`: end record (`ZipEndRecord.swift`), ZIP64 records
/// (`Zip64.swift`), central directory (`ZipCentralDirectory.swift`), local headers and data
/// descriptors (`ZipLocalHeader.swift`), then the layout of the members.
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
        let end = try findEndRecord()
        guard end.isSingleDisk else { throw bad(end.offset, "multi-disk archives are not supported") }
        var bounds = ZipDirectoryBounds(end)
        try applyZip64(before: end, to: &bounds)
        let shift = try locateCentralDirectory(&bounds, endOffset: end.offset)
        centralDirectoryOffset = bounds.offset
        centralDirectorySize = bounds.size
        let parsed = try readCentralDirectory(bounds, shift: shift)
        checkLayout(parsed, directoryOffset: bounds.offset)
        entries = parsed
    }

    /// Checks the directory's bounds against the caps and the end records, and returns how far
    /// bytes prepended to the archive shift it (the directory is then walked at its real position
    /// so that a lenient caller, the scanner, still sees the members).
    mutating func locateCentralDirectory(_ bounds: inout ZipDirectoryBounds, endOffset end: Int) throws -> Int {
        guard bounds.entriesOnDisk == bounds.totalEntries else { throw bad(end, "entry counts disagree") }
        guard bounds.totalEntries <= ZipArchive.Limits.maxEntries else {
            throw ModelFormatsError.limitExceeded(
                what: "zip entry count", limit: ZipArchive.Limits.maxEntries, offset: end)
        }
        guard bounds.size <= ZipArchive.Limits.maxCentralDirectoryBytes else {
            throw ModelFormatsError.limitExceeded(
                what: "zip central directory size", limit: ZipArchive.Limits.maxCentralDirectoryBytes, offset: end)
        }
        guard bounds.size <= bounds.end else { throw bad(end, "central directory larger than the archive") }
        let actualStart = bounds.end - bounds.size
        var shift = 0
        if actualStart != bounds.offset {
            guard actualStart > bounds.offset else {
                throw bad(end, "central directory offset and size do not meet the end record")
            }
            shift = actualStart - bounds.offset
            if !diagnostics.contains(where: { $0.kind == .dataBeforeArchive }) {
                note(.dataBeforeArchive, .error, at: 0, "\(shift) byte(s) precede the archive (offsets are shifted)")
            }
            bounds.offset = actualStart
        }
        guard bounds.offset + bounds.size <= bounds.end else {
            throw bad(end, "central directory overlaps the end record")
        }
        return shift
    }

    /// Step 4: members laid end to end from offset 0 up to the central directory.
    mutating func checkLayout(_ parsed: [ZipEntry], directoryOffset: Int) {
        var cursor = 0
        for entry in parsed.sorted(by: { $0.localHeaderOffset < $1.localHeaderOffset }) {
            if entry.localHeaderOffset < cursor {
                note(
                    .overlappingMembers, .error, at: entry.localHeaderOffset, member: entry.name,
                    "member overlaps the previous one")
            } else if entry.localHeaderOffset > cursor {
                if cursor == 0 {
                    note(
                        .dataBeforeArchive, .error, at: 0,
                        "\(entry.localHeaderOffset) byte(s) precede the first member")
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
                kind, .error, at: cursor,
                "\(directoryOffset - cursor) unaccounted byte(s) before the central directory")
        } else if cursor > directoryOffset {
            note(.overlappingMembers, .error, at: directoryOffset, "the last member runs into the central directory")
        }
    }
}
