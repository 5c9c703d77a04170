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

    /// Detects what `source` holds and scans it; returns the format name.
    mutating func scanContent(_ source: any ByteSource, member: String?, depth: Int) -> String {
        let head: [UInt8]
        do {
            head = try source.read(at: 0, count: min(source.size, 16))
        } catch {
            add("unreadable", .cannotScan, "\(error)", member: member)
            return "unknown"
        }
        if head.starts(with: Magic.sealed) {
            add("sealed", .cannotScan, "a sealed ModelSeal file: open it first, then scan the model", member: member)
            return "sealed"
        }
        if head.starts(with: NpyArray.magic) { return scanNpy(source, member: member) }
        if ZipArchive.looksLikeZip(head) || hasZipEndRecord(source) {
            return scanZip(source, member: member, depth: depth, startsLikeZip: ZipArchive.looksLikeZip(head))
        }
        if head.count >= 14, head[0] == 0x80, head[2] == 0x8A, head[3] == 0x0A {
            // Legacy torch layout (magic, protocol, sys info, object, storage keys, raw storages); the
            // magic may also be computed (eval) instead of a literal, which the pickle stream reports.
            scanPickleStream(source, member: member, maxPickles: 5, legacy: true)
            return "pytorch-legacy"
        }
        if head.count >= 9, head[8] == UInt8(ascii: "{"), SafetensorsCheck.isSafetensors(source) {
            return "safetensors"
        }
        if head.count >= 2, head[0] == PickleOpcode.proto.rawValue, head[1] <= 5 {
            scanPickleStream(source, member: member, maxPickles: Scanner.Limits.maxPicklesPerStream, legacy: false)
            return "pickle"
        }
        if let first = head.first, PickleOpcode(rawValue: first) != nil, looksLikeProtocol0Pickle(source) {
            scanPickleStream(source, member: member, maxPickles: Scanner.Limits.maxPicklesPerStream, legacy: false)
            return "pickle"
        }
        if head.isEmpty {
            add("empty", .cannotScan, "empty file: nothing to scan", member: member)
        } else {
            add("unrecognized-format", .cannotScan, "not a recognised model format (by content)", member: member)
        }
        return "unknown"
    }

    /// A signature-less stream is a pickle when its first pickle runs to STOP, or names a dangerous global.
    func looksLikeProtocol0Pickle(_ source: any ByteSource) -> Bool {
        guard source.size <= Scanner.Limits.maxPickleBytes,
            let bytes = try? source.read(at: 0, count: min(source.size, ModelFileFormat.maxSniffedPickleBytes))
        else { return false }
        let trace = machine.trace(bytes)
        if trace.result != nil { return true }
        return trace.events.contains { event in
            event.global.map { DangerList.match(module: $0.module, name: $0.name) != nil } ?? false
        }
    }

    /// Whether the last 64 KiB hold an end-of-central-directory signature (a zip behind other data).
    func hasZipEndRecord(_ source: any ByteSource) -> Bool {
        guard source.size >= 22 else { return false }
        let length = min(source.size, 22 + 0xFFFF)
        guard let tail = try? source.read(at: source.size - length, count: length) else { return false }
        var position = tail.count - 22
        while position >= 0 {
            if tail[position] == 0x50, tail[position + 1] == 0x4B, tail[position + 2] == 5, tail[position + 3] == 6 {
                return true
            }
            position -= 1
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
