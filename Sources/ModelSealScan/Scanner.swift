import ModelFormats
import ModelSealCore

/// Scans one file by content: zip archives (every member, nested archives), legacy and bare pickle
/// streams, NumPy object arrays, safetensors. Nothing in the file is executed.
public struct Scanner: Sendable {
    /// Caps that bound the work one hostile file can cause.
    public enum Limits {
        /// Archives inside archives are followed this deep.
        public static let maxArchiveDepth = 4
        /// Pickles passed to `pickle.loads` inside pickles are followed this deep.
        public static let maxNestedPickleDepth = 4
        /// Largest pickle read into memory (inflated or not): past it the verdict is `oversized`, never clean.
        public static let maxPickleBytes = 64 << 20
        /// Largest compressed archive member inflated whole (a nested archive or `.npy`).
        public static let maxInflatedMemberBytes = 64 << 20
        /// Files up to this size are read into memory in one go.
        static let inMemoryBytes = 8 << 20
        /// Bytes of a member probed before it is read whole.
        static let probeBytes = 64 << 10
        /// Members up to this size are always read whole when their probe runs out mid-opcode.
        static let wholeReadBytes = 16 << 20
        /// First window of a pickle stream read into memory (widened ×8 while a pickle runs past it).
        static let initialWindowBytes = 1 << 20
        /// Longest text-opcode line (GLOBAL, UNICODE, INT, …). CPython has no limit, and a long line
        /// is how a FRAME trick fills the C unpickler's read-ahead buffer; readers keep 64 KiB.
        static let maxLineBytes = 16 << 20
        /// Pickles read back to back from one stream.
        static let maxPicklesPerStream = 1024
    }

    public var allowlist: PickleAllowlist
    /// Report files that are not models (and sealed files) as `cannot-scan` instead of skipping them.
    public var insistOnAll: Bool
    /// Opens a sealed file in memory for scanning (nil: sealed files are skipped). Returns the plaintext
    /// or throws why it cannot; the bytes never touch the disk.
    public var unseal: (@Sendable (String) throws -> [UInt8])?

    /// A scanner with torch's weights-only allowlist plus `allowedGlobals` (`module.name`).
    public init(
        allowedGlobals: [String] = [], insistOnAll: Bool = false,
        unseal: (@Sendable (String) throws -> [UInt8])? = nil
    ) {
        self.allowlist = PickleAllowlist.torchWeightsOnly.adding(allowedGlobals)
        self.insistOnAll = insistOnAll
        self.unseal = unseal
    }

    /// Opcodes that torch's weights-only unpickler refuses whatever global they name.
    static func isRefused(_ opcode: PickleOpcode) -> Bool {
        switch opcode {
        case .stackGlobal, .inst, .obj, .newObjEx, .ext1, .ext2, .ext4: true
        default: false
        }
    }

    /// Scans the file at `path`.
    public func scan(path: String) -> FileReport {
        let source: InputFile
        do {
            source = try InputFile.regular(path: path)
        } catch {
            return FileReport(
                path: path, format: "unknown", size: 0,
                findings: [Finding(file: path, rule: "unreadable", verdict: .cannotScan, message: "\(error)")])
        }
        // Small files are read with one system call; the zip walk and member probes then cost no I/O.
        if source.size <= Limits.inMemoryBytes, let bytes = try? source.read(at: 0, count: source.size) {
            return scan(MemorySource(bytes), path: path)
        }
        return scan(source, path: path)
    }

    /// Scans what a tree walk found on every core (files are independent); reports come back in walk order.
    public func scan(_ items: [TreeWalker.Item]) -> [FileReport] {
        Parallel.map(items.count) { index in
            switch items[index] {
            case .file(let path):
                return scan(path: path)
            case .problem(let path, let reason):
                return FileReport(
                    path: path, format: "unknown", size: 0,
                    findings: [Finding(file: path, rule: "unreadable", verdict: .cannotScan, message: reason)])
            }
        }
    }

    /// Scans `source`, naming findings after `path`: skipped when no loader's reading of it reaches a global,
    /// a persistent id or a call (unless `insistOnAll`); a sealed file is opened in memory through
    /// `unseal`, or skipped.
    public func scan(_ source: any ByteSource, path: String) -> FileReport {
        var context = ScanContext(file: path, allowlist: allowlist)
        let outcome = context.scanContent(source, member: nil, depth: 0)
        if outcome.format == "sealed" { return scanSealed(path: path, size: source.size, context: context) }
        guard outcome.isModel else {
            guard insistOnAll else {
                return FileReport(
                    path: path, format: outcome.format, size: source.size, findings: [],
                    skipped: FileReport.SkipReason.notAModel)
            }
            context.add(
                outcome.format == "empty" ? "empty" : "unrecognized-format", .cannotScan,
                outcome.format == "empty"
                    ? "empty file: nothing to scan"
                    : "not a model: every loader's reading ends before a global, a persistent id or a call",
                member: nil)
            return FileReport(path: path, format: outcome.format, size: source.size, findings: context.findings)
        }
        return FileReport(path: path, format: outcome.format, size: source.size, findings: context.findings)
    }

    /// A sealed file: decrypted in memory and scanned when a key was given, otherwise skipped (or
    /// `cannot-scan` with `insistOnAll`).
    func scanSealed(path: String, size: Int, context: ScanContext) -> FileReport {
        guard let unseal else {
            if insistOnAll {
                return FileReport(path: path, format: "sealed", size: size, findings: context.findings)
            }
            return FileReport(
                path: path, format: "sealed", size: size, findings: [], skipped: FileReport.SkipReason.sealed)
        }
        let plaintext: [UInt8]
        do {
            plaintext = try unseal(path)
        } catch {
            return FileReport(
                path: path, format: "sealed", size: size,
                findings: [
                    Finding(
                        file: path, rule: "sealed", verdict: .cannotScan,
                        message: "cannot open the sealed file: \(error)")
                ])
        }
        var inner = ScanContext(file: path, allowlist: allowlist)
        let outcome = inner.scanContent(MemorySource(plaintext), member: "sealed", depth: 1)
        var report = FileReport(
            path: path, format: "sealed/" + outcome.format, size: size, findings: inner.findings)
        if !outcome.isModel, insistOnAll {
            report.findings.append(
                Finding(
                    file: path, member: "sealed", rule: "unrecognized-format", verdict: .cannotScan,
                    message: "the sealed file holds no model"))
        }
        return report
    }
}
