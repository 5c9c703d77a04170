import ModelFormats
import ModelSealCore

extension ScanContext {
    /// Walks a zip archive leniently and scans every member by content, not by name; each distinct
    /// member (by local header) once. An archive counts as a model when some member does or when its
    /// structure is reported. `startsLikeZip` false: found only by its end record (Python's zipfile).
    mutating func scanZip(_ source: any ByteSource, member: String?, depth: Int, startsLikeZip: Bool) -> Outcome {
        let archive: ZipArchive
        do {
            archive = try ZipArchive(source: source, strict: false)
        } catch {
            // Behind other data, an end record may be tensor bytes by chance: silent, unless its central
            // directory is where Python's zipfile finds one (that reading may open what this one cannot).
            guard startsLikeZip || endRecordPointsAtDirectory(source) else {
                return Outcome(format: "unknown", isModel: false)
            }
            add("unparseable-zip", .cannotScan, "zip archive does not parse: \(error)", member: member)
            return Outcome(format: "zip", isModel: true)
        }
        if !startsLikeZip, archive.entries.isEmpty { return Outcome(format: "unknown", isModel: false) }
        let findingsBefore = findings.count
        recordDiagnostics(archive.diagnostics, member: member)
        recordCaseCollisions(archive.entries, member: member)
        let names = archive.entries.map(\.name)
        let isTorchScript = names.contains(where: Self.isTorchScriptMember)
        if isTorchScript {
            add(
                "torchscript-code", .notWeightsOnly,
                "TorchScript archive: carries code (code/, constants.pkl) that torch.jit.load runs; not weights",
                member: member)
        }
        // Storage members of a torch checkpoint hold raw tensor bytes; they are still probed for pickles.
        var scanned: Set<Int> = []
        var anyModel = false
        for entry in archive.entries where scanned.insert(entry.localHeaderOffset).inserted {
            if scanEntry(entry, of: archive, in: source, member: member, depth: depth) { anyModel = true }
        }
        let isModel = anyModel || findings.count > findingsBefore
        if isTorchScript { return Outcome(format: "torchscript", isModel: true) }
        if names.contains(where: { $0 == "data.pkl" || $0.hasSuffix("/data.pkl") }) {
            return Outcome(format: "pytorch-zip", isModel: isModel)
        }
        if !names.isEmpty, names.allSatisfy({ $0.hasSuffix(".npy") }) {
            return Outcome(format: "npz", isModel: isModel)
        }
        return Outcome(format: "zip", isModel: isModel)
    }

    /// Names equal but for ASCII case: torch's reader (miniz) looks members up case-insensitively, so
    /// which one it loads is not what a case-sensitive tool inspects.
    mutating func recordCaseCollisions(_ entries: [ZipEntry], member: String?) {
        // Folding only changes ASCII capitals: without one, distinct names cannot collide (torch's never do).
        guard entries.contains(where: { $0.name.utf8.contains { $0 >= 0x41 && $0 <= 0x5A } }) else { return }
        var seen: [String: String] = [:]
        for entry in entries {
            let hasUpper = entry.name.utf8.contains { $0 >= 0x41 && $0 <= 0x5A }
            let folded =
                hasUpper
                ? String(decoding: entry.name.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
                : entry.name
            if let other = seen[folded], other != entry.name {
                add(
                    "zip-case-colliding-names", .notWeightsOnly,
                    "\"\(other)\" and \"\(entry.name)\" differ only in case: torch's lookup ignores case",
                    member: join(member, entry.name), offset: entry.localHeaderOffset)
            } else if seen[folded] == nil {
                seen[folded] = entry.name
            }
        }
    }

    /// Findings for the walk's diagnostics: structure that readers resolve differently is never clean.
    mutating func recordDiagnostics(_ diagnostics: [ZipDiagnostic], member: String?) {
        for diagnostic in diagnostics {
            switch diagnostic.kind {
            case .encryptedMember, .unsupportedCompression, .crcMismatch: continue  // judged per member below
            case .invalidName, .gapBetweenMembers:
                add(
                    "zip-" + diagnostic.kind.rawValue, .notWeightsOnly, diagnostic.message,
                    member: join(member, diagnostic.member ?? ""), offset: diagnostic.offset)
            default:
                // Structure that different readers resolve differently: what torch loads may not be what
                // another tool inspected. Never clean.
                add(
                    "zip-" + diagnostic.kind.rawValue, .notWeightsOnly, diagnostic.message,
                    member: diagnostic.member.map { join(member, $0) } ?? member, offset: diagnostic.offset)
            }
        }
    }

    /// Scans one member by content, probing a prefix first (a deflated member is inflated only as far
    /// as the probe and the pickle need); returns whether it is a model (a pickle, npy or archive).
    mutating func scanEntry(
        _ entry: ZipEntry, of archive: ZipArchive, in source: any ByteSource, member: String?, depth: Int
    ) -> Bool {
        let label = join(member, entry.name)
        let encrypted = entry.flags & 0x0001 != 0
        if entry.method != 0 && entry.method != 8 {
            add(
                "zip-unsupported-compression", .cannotScan,
                "compression method \(entry.method): contents cannot be inspected", member: label,
                offset: entry.localHeaderOffset)
            return true
        }
        if entry.method == 0, !encrypted, let slice = SliceSource(source, range: entry.dataRange) {
            return scanMember(slice, entry: entry, label: label, depth: depth)
        }
        let probe: (bytes: [UInt8], complete: Bool)
        do {
            probe = try archive.readPrefix(entry, count: Scanner.Limits.probeBytes)
        } catch {
            add(
                encrypted ? "zip-encrypted" : "zip-unreadable-member", .cannotScan,
                encrypted ? "encrypted member: contents cannot be inspected" : "member cannot be read: \(error)",
                member: label, offset: entry.localHeaderOffset)
            return true
        }
        if encrypted {
            // The encryption flag may be set on plain data (a trick against Python's zipfile): if the
            // bytes are a pickle, scan them; otherwise they are really encrypted.
            let trace = machine.trace(probe.bytes)
            guard trace.result != nil || Self.reachesLoaderCode(trace) else {
                add(
                    "zip-encrypted", .cannotScan, "encrypted member: contents cannot be inspected", member: label,
                    offset: entry.localHeaderOffset)
                return true
            }
            add(
                "zip-encryption-flag-on-plain-data", .notWeightsOnly,
                "member flagged as encrypted holds a plain pickle", member: label, offset: entry.localHeaderOffset)
        }
        if probe.complete {
            return scanMember(MemorySource(probe.bytes), entry: entry, label: label, depth: depth)
        }
        // Larger than the probe: inflate whole only what needs it (a pickle running past the probe, or a
        // nested archive), up to the cap; past it the member is `oversized`, never clean.
        let needsWhole = needsWholeMember(probe.bytes, entry: entry)
        guard needsWhole else {
            return scanMember(
                MemorySource(probe.bytes), entry: entry, label: label, depth: depth,
                declaredSize: entry.uncompressedSize)
        }
        guard entry.uncompressedSize <= Scanner.Limits.maxInflatedMemberBytes,
            let whole = try? archive.readPrefix(entry, count: entry.uncompressedSize), whole.complete
        else {
            add(
                "oversized", .cannotScan,
                "member needs more than \(Scanner.Limits.maxInflatedMemberBytes) bytes inflated to be read whole",
                member: label, offset: entry.localHeaderOffset)
            return true
        }
        return scanMember(MemorySource(whole.bytes), entry: entry, label: label, depth: depth)
    }

    /// Whether a member's probe shows it must be read whole: a nested archive or npy, or a pickle that
    /// runs past the probe with the bytes it needs present.
    func needsWholeMember(_ probe: [UInt8], entry: ZipEntry) -> Bool {
        let head = Array(probe.prefix(16))
        if ZipArchive.looksLikeZip(head) || head.starts(with: NpyArray.magic) || head.starts(with: Magic.sealed) {
            return true
        }
        let trace = machine.trace(probe)
        guard trace.result == nil, case let .truncated(_, _, needed)? = trace.error else { return false }
        return needed <= entry.uncompressedSize - probe.count
            && Self.worthReadingOn(probe, trace: trace, name: entry.name)
    }

    /// Whether a member whose probe runs out mid-pickle is read further: a member named as a pickle, one
    /// starting with PROTO, or one whose probe already reached a global or call. Raw tensor bytes often
    /// decode as a length that runs past the probe (`B` and four bytes); a 1 GiB storage is not read for that.
    static func worthReadingOn(_ probe: [UInt8], trace: PickleTrace, name: String) -> Bool {
        let startsWithProto = probe.count >= 2 && probe[0] == PickleOpcode.proto.rawValue && probe[1] <= 5
        return name.hasSuffix(".pkl") || name.hasSuffix(".pickle") || startsWithProto || reachesLoaderCode(trace)
    }

    /// `constants.pkl` or anything under `code/`, at the top or below the archive's one prefix folder.
    static func isTorchScriptMember(_ name: String) -> Bool {
        // On the UTF-8 bytes: String and Character comparisons cost more than the member's whole scan.
        var name = name
        let code = "code/".utf8
        return name.withUTF8 { bytes in
            var rest = bytes[...]
            if !rest.starts(with: code), let slash = rest.firstIndex(of: UInt8(ascii: "/")) {
                rest = rest[(slash + 1)...]
            }
            return rest.elementsEqual("constants.pkl".utf8) || rest.starts(with: code)
        }
    }

    /// One archive member: nested archives and NumPy files by content; pickles wherever they parse.
    /// `declaredSize` is the member's real size when `source` holds only its probe. Returns whether the
    /// member is a model.
    mutating func scanMember(
        _ source: any ByteSource, entry: ZipEntry, label: String, depth: Int, declaredSize: Int? = nil
    ) -> Bool {
        guard source.size > 0 else { return false }
        guard let head = try? source.read(at: 0, count: min(source.size, 16)) else {
            add("zip-unreadable-member", .cannotScan, "member cannot be read", member: label)
            return true
        }
        if ZipArchive.looksLikeZip(head) || head.starts(with: NpyArray.magic)
            || head.starts(with: Magic.sealed)
        {
            guard depth < Scanner.Limits.maxArchiveDepth else {
                add(
                    "too-deep", .cannotScan, "archives nested deeper than \(Scanner.Limits.maxArchiveDepth)",
                    member: label)
                return true
            }
            return scanContent(source, member: label, depth: depth + 1).isModel
        }
        guard let first = head.first, PickleOpcode(rawValue: first) != nil else { return false }
        // Probe a prefix first: raw tensor bytes fail within a few opcodes, so big storages cost one small read.
        let bytes: [UInt8]
        do {
            bytes = try source.read(at: 0, count: min(source.size, Scanner.Limits.probeBytes))
        } catch {
            add("zip-unreadable-member", .cannotScan, "member cannot be read: \(error)", member: label)
            return true
        }
        let trace = machine.trace(bytes)
        let size = declaredSize ?? source.size
        if let result = trace.result, result.endOffset == bytes.count, bytes.count == size {
            // One pickle filling the member (data.pkl): the probe's trace is the whole story.
            record(trace, bytes: bytes, member: label, onlyDangerous: false, nestedDepth: 0)
            return true
        }
        if trace.result == nil, case let .truncated(_, _, needed)? = trace.error, needed <= size - bytes.count,
            declaredSize == nil, Self.worthReadingOn(bytes, trace: trace, name: entry.name)
        {
            // A pickle running past the probe whose bytes exist: read as a stream (widening as needed).
            return scanPickleStream(source, member: label, maxPickles: Scanner.Limits.maxPicklesPerStream).reached
        }
        if trace.result != nil {
            let whole: any ByteSource = declaredSize == nil ? source : MemorySource(bytes)
            return scanPickleStream(whole, member: label, maxPickles: Scanner.Limits.maxPicklesPerStream).reached
        }
        return recordFailure(trace, bytes: bytes, member: label, offset: 0)
    }

    /// A `.npy` file: plain arrays are data; object arrays are pickles.
    mutating func scanNpy(_ source: any ByteSource, member: String?) -> String {
        guard let head = try? source.read(at: 0, count: min(source.size, 12)), head.count >= 10 else {
            add("unparseable-npy", .cannotScan, "truncated .npy header", member: member)
            return "npy"
        }
        let major = head[6]
        let headerStart = major == 1 ? 10 : 12
        guard major >= 1, major <= 3, head.count >= headerStart else {
            add("unparseable-npy", .cannotScan, ".npy version \(major) is not supported", member: member)
            return "npy"
        }
        let headerLength =
            major == 1
            ? Int(head[8]) | Int(head[9]) << 8
            : Int(head[8]) | Int(head[9]) << 8 | Int(head[10]) << 16 | Int(head[11]) << 24
        guard headerLength <= NpyArray.maxHeaderBytes, headerStart + headerLength <= source.size,
            let header = try? source.read(at: headerStart, count: headerLength)
        else {
            add("unparseable-npy", .cannotScan, ".npy header length is out of range", member: member)
            return "npy"
        }
        let dataStart = headerStart + headerLength
        guard let data = SliceSource(source, range: dataStart..<source.size) else { return "npy" }
        // Versions 1 and 2 are latin-1 (and may carry Python 2 `L` integers), version 3 UTF-8.
        let text = major == 3 ? header : Array(String(String.UnicodeScalarView(header.map { Unicode.Scalar($0) })).utf8)
        let parsed = NpyHeaderLiteral.parse(text, python2Longs: major <= 2)
        if let parsed {
            // A dict literal keeps the last of repeated keys, as Python does; exactly these three keys.
            let keys: [String?] = (parsed.dictItems ?? []).map {
                if case let .string(key) = $0.key { key } else { nil }
            }
            guard parsed.dictItems != nil, Set(keys) == ["descr", "fortran_order", "shape"],
                let descr = parsed.field("descr")
            else {
                add("loader-error", .notWeightsOnly, "np.load raises on this header: not a valid .npy", member: member)
                return "npy"
            }
            if NpyDescrAllowlist.isPlainData(descr) { return "npy" }
        }
        // A descr that may hold objects (or a header this reader cannot follow): the body is a pickle.
        let label = join(member, "object-array")
        let stream = scanPickleStream(data, member: label, maxPickles: 1)
        if parsed != nil {
            add(
                "numpy-object-array", .notWeightsOnly,
                "dtype that may hold objects: loading it runs a pickle (allow_pickle=True)", member: member,
                offset: dataStart)
        } else if !stream.reached {
            add("unparseable-npy", .cannotScan, ".npy header this scanner cannot read", member: member)
        }
        return "npy"
    }
}
