import ModelFormats
import ModelSealCore

/// The state of scanning one file: where we are and what was found so far.
struct ScanContext {
    let file: String
    let allowlist: PickleAllowlist
    var findings: [Finding] = []

    init(file: String, allowlist: PickleAllowlist) {
        self.file = file
        self.allowlist = allowlist
    }

    /// The pickle machine for untrusted files: lenient, so it goes on past what CPython accepts
    /// (a FRAME that lies about its length, STACK_GLOBAL names built at load time) and reports it.
    var machine: PickleMachine {
        var limits = PickleLimits.default
        limits.maxLineLength = Scanner.Limits.maxLineBytes
        return PickleMachine(allowlist: allowlist, limits: limits, leniency: .likeCPython)
    }

    mutating func add(
        _ rule: String, _ verdict: Verdict, _ message: String, member: String?, offset: Int? = nil,
        opcode: String? = nil, global: String? = nil, advisory: String? = nil
    ) {
        findings.append(
            Finding(
                file: file, member: member, offset: offset, opcode: opcode, global: global, rule: rule,
                verdict: verdict, message: message, advisory: advisory))
    }

    /// What scanning some bytes found: the format name, and whether any loader's reading of them
    /// reached a global, a call or a persistent id (or is a model format on its own).
    struct Outcome {
        var format: String
        var isModel: Bool
    }

    /// Scans `source` under every reading a loader could give it; the verdict is the worst of them.
    ///
    /// torch 2.x `load`: a name ending in `.safetensors` is safetensors; `PK\x03\x04` at offset 0 is a zip;
    /// otherwise a tar checkpoint is tried and then pickles are read from byte 0 (the legacy layout).
    /// `np.load`: `PK\x03\x04`/`PK\x05\x06` is an npz, `\x93NUMPY` an npy, anything else a pickle.
    /// `pickle.load`: a pickle from byte 0, whatever the file is. Python's `zipfile` also opens a zip found
    /// only by its end record (data before it). Each reading counts as far as its loader gets.
    mutating func scanContent(_ source: any ByteSource, member: String?, depth: Int) -> Outcome {
        let head: [UInt8]
        do {
            head = try source.read(at: 0, count: min(source.size, 16))
        } catch {
            add("unreadable", .cannotScan, "\(error)", member: member)
            return Outcome(format: "unknown", isModel: true)
        }
        if head.isEmpty { return Outcome(format: "empty", isModel: false) }
        if head.starts(with: Magic.sealed) {
            add(
                "sealed", .cannotScan, "a sealed ModelSeal file: scan it with its key, or open it first", member: member
            )
            return Outcome(format: "sealed", isModel: true)
        }
        if ZipArchive.looksLikeZip(head) || head.starts(with: Self.emptyZipMagic) {
            return scanZip(source, member: member, depth: depth, startsLikeZip: true)
        }
        if head.starts(with: NpyArray.magic) { return Outcome(format: scanNpy(source, member: member), isModel: true) }
        if let container = Magic.unopenedContainers.first(where: { head.starts(with: $0.bytes) }) {
            // Loaders that decompress (joblib) or unpack would go on: what is inside is unseen.
            add(
                "unopened-archive", .cannotScan,
                "\(container.name) data: not opened by the scanner, its contents are unseen",
                member: member)
            return Outcome(format: container.name, isModel: true)
        }
        var outcome = Outcome(format: "unknown", isModel: false)
        if SafetensorsCheck.isSafetensors(source) { outcome = Outcome(format: "safetensors", isModel: true) }
        if let tar = TarArchive(source), scanTar(tar, source: source) {
            outcome = Outcome(format: "pytorch-tar", isModel: true)
        }
        if hasZipEndRecord(source) {
            // Only Python's zipfile finds this archive (torch and NumPy look at offset 0): scanned when it
            // parses, silent when the signature is tensor bytes by chance.
            let found = scanZip(source, member: member, depth: depth, startsLikeZip: false)
            if found.isModel { outcome = found }
        }
        let stream = scanPickleStream(source, member: member, maxPickles: Scanner.Limits.maxPicklesPerStream)
        if stream.reached {
            if outcome.format == "safetensors" {
                add(
                    "format-polyglot", .notWeightsOnly,
                    "valid safetensors that is also a pickle: torch.load of it under any other name unpickles it",
                    member: member)
            }
            if !outcome.isModel { outcome.format = stream.legacy ? "pytorch-legacy" : "pickle" }
            outcome.isModel = true
        }
        return outcome
    }

    /// `PK\x05\x06`: an empty zip (end record only), which `np.load` opens as an npz.
    static let emptyZipMagic: [UInt8] = [0x50, 0x4B, 0x05, 0x06]

    /// Whether the last 64 KiB hold an end-of-central-directory signature (a zip behind other data).
    func hasZipEndRecord(_ source: any ByteSource) -> Bool { lastZipEndRecord(source) != nil }

    /// The offset of the last end-of-central-directory signature in the last 64 KiB (where Python's zipfile
    /// looks), or nil.
    func lastZipEndRecord(_ source: any ByteSource) -> Int? {
        guard source.size >= 22 else { return nil }
        let length = min(source.size, 22 + 0xFFFF)
        guard let tail = try? source.read(at: source.size - length, count: length) else { return nil }
        var position = tail.count - 22
        while position >= 0 {
            if tail[position] == 0x50, tail[position + 1] == 0x4B, tail[position + 2] == 5, tail[position + 3] == 6 {
                return source.size - length + position
            }
            position -= 1
        }
        return nil
    }

    /// Whether the end record's central directory is where Python's zipfile looks for it (right before the
    /// end record, or before a ZIP64 end record and locator) and starts with a directory signature: then
    /// the archive is real, not tensor bytes that hold the signature by chance.
    func endRecordPointsAtDirectory(_ source: any ByteSource) -> Bool {
        guard let end = lastZipEndRecord(source), let record = try? source.read(at: end, count: 22) else {
            return false
        }
        let directorySize = Int(record[12]) | Int(record[13]) << 8 | Int(record[14]) << 16 | Int(record[15]) << 24
        for start in [end - directorySize, end - 20 - 56 - directorySize] where start >= 0 {
            if let head = try? source.read(at: start, count: 4), head == [0x50, 0x4B, 1, 2] { return true }
        }
        return false
    }
}

/// The cheap part of the safetensors check: a header length that fits and a JSON object after it.
enum SafetensorsCheck {
    static func isSafetensors(_ source: any ByteSource) -> Bool {
        guard let head = try? source.read(at: 0, count: 9) else { return false }
        var length: UInt64 = 0
        for index in (0..<8).reversed() { length = length << 8 | UInt64(head[index]) }
        guard length <= UInt64(SafetensorsFile.maxHeaderBytes), length <= UInt64(source.size - 8) else { return false }
        return (try? SafetensorsFile.read(from: source)) != nil
    }
}
