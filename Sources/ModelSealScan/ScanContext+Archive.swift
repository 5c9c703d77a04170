import ModelFormats
import ModelSealCore

extension ScanContext {
    /// Walks a zip archive leniently and scans every member by content, not by name.
    mutating func scanZip(_ source: any ByteSource, member: String?, depth: Int, startsLikeZip: Bool) -> String {
        let archive: ZipArchive
        do {
            archive = try ZipArchive(source: source, strict: false)
        } catch {
            if startsLikeZip {
                add("unparseable-zip", .cannotScan, "zip archive does not parse: \(error)", member: member)
                return "zip"
            }
            // An end-record signature inside some other file: not an archive after all.
            add("unrecognized-format", .cannotScan, "not a recognised model format (by content)", member: member)
            return "unknown"
        }
        recordDiagnostics(archive.diagnostics, member: member)
        let names = archive.entries.map(\.name)
        let isTorchScript = names.contains(where: Self.isTorchScriptMember)
        if isTorchScript {
            add(
                "torchscript-code", .notWeightsOnly,
                "TorchScript archive: carries code (code/, constants.pkl) that torch.jit.load runs; not weights",
                member: member)
        }
        // Storage members of a torch checkpoint hold raw tensor bytes; they are still probed for pickles.
        for entry in archive.entries { scanEntry(entry, of: archive, in: source, member: member, depth: depth) }
        if isTorchScript { return "torchscript" }
        if names.contains(where: { $0 == "data.pkl" || $0.hasSuffix("/data.pkl") }) { return "pytorch-zip" }
        if !names.isEmpty, names.allSatisfy({ $0.hasSuffix(".npy") }) { return "npz" }
        return "zip"
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

    /// Scans one member by content: in place when stored, decompressed otherwise; encrypted flags checked.
    mutating func scanEntry(
        _ entry: ZipEntry, of archive: ZipArchive, in source: any ByteSource, member: String?, depth: Int
    ) {
        let label = join(member, entry.name)
        let encrypted = entry.flags & 0x0001 != 0
        if entry.method != 0 && entry.method != 8 {
            add(
                "zip-unsupported-compression", .cannotScan,
                "compression method \(entry.method): contents cannot be inspected", member: label,
                offset: entry.localHeaderOffset)
            return
        }
        guard entry.uncompressedSize <= Scanner.Limits.maxPickleBytes else {
            add("too-large", .cannotScan, "member larger than the scan limit", member: label)
            return
        }
        if entry.method == 0, !encrypted, let slice = SliceSource(source, range: entry.dataRange) {
            scanMember(slice, entry: entry, label: label, depth: depth)
            return
        }
        let bytes: [UInt8]
        do {
            bytes = try archive.read(entry, limit: Scanner.Limits.maxPickleBytes)
        } catch {
            add(
                encrypted ? "zip-encrypted" : "zip-unreadable-member", .cannotScan,
                encrypted ? "encrypted member: contents cannot be inspected" : "member cannot be read: \(error)",
                member: label, offset: entry.localHeaderOffset)
            return
        }
        if encrypted {
            // The encryption flag may be set on plain data (a trick against Python's zipfile): if the
            // bytes are a pickle, scan them; otherwise they are really encrypted.
            let trace = machine.trace(bytes)
            if trace.result != nil || !trace.events.isEmpty {
                add(
                    "zip-encryption-flag-on-plain-data", .notWeightsOnly,
                    "member flagged as encrypted holds a plain pickle", member: label,
                    offset: entry.localHeaderOffset)
                scanMember(MemorySource(bytes), entry: entry, label: label, depth: depth)
            } else {
                add(
                    "zip-encrypted", .cannotScan, "encrypted member: contents cannot be inspected", member: label,
                    offset: entry.localHeaderOffset)
            }
            return
        }
        scanMember(MemorySource(bytes), entry: entry, label: label, depth: depth)
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
    mutating func scanMember(_ source: any ByteSource, entry: ZipEntry, label: String, depth: Int) {
        guard source.size > 0 else { return }
        guard let head = try? source.read(at: 0, count: min(source.size, 16)) else {
            add("zip-unreadable-member", .cannotScan, "member cannot be read", member: label)
            return
        }
        if ZipArchive.looksLikeZip(head) || head.starts(with: NpyArray.magic)
            || head.starts(with: Magic.sealed)
        {
            guard depth < Scanner.Limits.maxArchiveDepth else {
                add(
                    "too-deep", .cannotScan, "archives nested deeper than \(Scanner.Limits.maxArchiveDepth)",
                    member: label)
                return
            }
            _ = scanContent(source, member: label, depth: depth + 1)
            return
        }
        let declaredPickle = entry.name.hasSuffix(".pkl") || entry.name.hasSuffix(".pickle")
        let startsWithProto = head.count >= 2 && head[0] == PickleOpcode.proto.rawValue && head[1] <= 5
        guard let first = head.first, PickleOpcode(rawValue: first) != nil else {
            if declaredPickle {
                add(
                    "unparseable-pickle", .cannotScan, "member named as a pickle does not start with an opcode",
                    member: label)
            }
            return
        }
        // Probe a prefix first: raw tensor bytes fail within a few opcodes, so big storages cost one small read.
        var bytes: [UInt8]
        do {
            bytes = try source.read(at: 0, count: min(source.size, Scanner.Limits.probeBytes))
        } catch {
            add("zip-unreadable-member", .cannotScan, "member cannot be read: \(error)", member: label)
            return
        }
        var trace = machine.trace(bytes)
        // Read the rest only when the prefix looks like a pickle: raw tensor bytes often decode as a
        // length field that runs past the probe, and a 1 GiB storage must not be read for that.
        let looksLikePickle =
            declaredPickle || startsWithProto || !trace.events.isEmpty || source.size <= Scanner.Limits.wholeReadBytes
        if trace.result == nil, bytes.count < source.size, looksLikePickle, case .truncated? = trace.error {
            guard let whole = try? source.read(at: 0, count: source.size) else {
                add("zip-unreadable-member", .cannotScan, "member cannot be read", member: label)
                return
            }
            bytes = whole
            trace = machine.trace(bytes)
        }
        let isPickle = trace.result != nil || declaredPickle || startsWithProto
        if isPickle {
            let memberSource = MemorySource(bytes)
            if let result = trace.result, result.endOffset == bytes.count, bytes.count == source.size {
                // One pickle filling the member (data.pkl): the probe's trace is the whole story.
                record(trace, bytes: bytes, member: label, onlyDangerous: false, nestedDepth: 0)
            } else if trace.result != nil || declaredPickle {
                scanPickleStream(
                    memberSource, member: label, maxPickles: Scanner.Limits.maxPicklesPerStream, legacy: false)
            } else {
                // Starts like a pickle but does not parse: raw tensor bytes by chance, or a broken payload.
                record(trace, bytes: bytes, member: label, onlyDangerous: true, nestedDepth: 0)
            }
        } else {
            // Not a pickle; still report primitives Python would have run before failing.
            record(trace, bytes: bytes, member: label, onlyDangerous: true, nestedDepth: 0)
        }
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
        let text = String(decoding: header, as: UTF8.self)
        guard text.contains("'|O'") || text.contains("'O'") || text.contains("\"|O\"") else { return "npy" }
        let dataStart = headerStart + headerLength
        guard let data = SliceSource(source, range: dataStart..<source.size) else { return "npy" }
        add(
            "numpy-object-array", .notWeightsOnly, "object-dtype array: loading it runs a pickle (allow_pickle=True)",
            member: member, offset: dataStart)
        scanPickleStream(data, member: join(member, "object-array"), maxPickles: 1, legacy: false)
        return "npy"
    }
}
