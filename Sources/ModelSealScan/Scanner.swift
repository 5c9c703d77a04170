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
        /// Largest pickle or archive member read into memory.
        public static let maxPickleBytes = 1 << 30
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

    /// A scanner with torch's weights-only allowlist plus `allowedGlobals` (`module.name`).
    public init(allowedGlobals: [String] = []) {
        self.allowlist = PickleAllowlist.torchWeightsOnly.adding(allowedGlobals)
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

    /// Scans `source`, naming findings after `path`.
    public func scan(_ source: any ByteSource, path: String) -> FileReport {
        var context = ScanContext(file: path, allowlist: allowlist)
        let format = context.scanContent(source, member: nil, depth: 0)
        return FileReport(path: path, format: format, size: source.size, findings: context.findings)
    }
}
