import ModelSealCore

#if canImport(Glibc)
    import Glibc
#endif

/// Where fingerprint components and runtime-guard facts are read from.
///
/// Internal on purpose: production code only ever uses `FilesystemProbe.system` (the real `/`),
/// and the only way to point licensing at a fake machine is `@testable import`, which needs a
/// build with testing enabled. The CLI, the C ABI and Python cannot inject a machine.
protocol MachineProbe: Sendable {
    /// The bytes of a small file, or `nil` when it is missing or unreadable.
    func readFile(_ path: String) -> [UInt8]?
    /// Entry names of a directory (no `.`/`..`), or `nil`.
    func listDirectory(_ path: String) -> [String]?
    /// The target of a symbolic link, or `nil`.
    func readLink(_ path: String) -> String?
    /// An environment variable of the process.
    func environment(_ name: String) -> String?
}

/// Reads the machine through the file system under `root` ("" is the real root).
struct FilesystemProbe: MachineProbe {
    /// Files larger than this are not fingerprint sources: read at most this much.
    static let maximumFileSize = 1 << 20
    /// The real machine.
    static let system = FilesystemProbe(root: "", environment: nil)

    let root: String
    /// Fake environment for tests; `nil` reads the process environment.
    let fakeEnvironment: [String: String]?

    init(root: String, environment: [String: String]?) {
        self.root = root
        self.fakeEnvironment = environment
    }

    func readFile(_ path: String) -> [UInt8]? {
        // /proc and /sys files report size 0: read as a stream, up to the cap.
        try? SmallFile.read(root + path, limit: Self.maximumFileSize)
    }

    func listDirectory(_ path: String) -> [String]? {
        try? Directory.entries(root + path)
    }

    func readLink(_ path: String) -> String? {
        var buffer = [Int8](repeating: 0, count: 4096)
        let count = readlink(root + path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func environment(_ name: String) -> String? {
        if let fakeEnvironment { return fakeEnvironment[name] }
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }
}

extension MachineProbe {
    /// A file's text with surrounding whitespace removed; `nil` when missing or empty.
    func text(_ path: String) -> String? {
        guard let bytes = readFile(path) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self).trimmingWhitespace
        return text.isEmpty ? nil : text
    }
}

extension String {
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        let isSpace: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        guard let first = scalars.firstIndex(where: { !isSpace($0) }),
            let last = scalars.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(scalars[first...last])
    }
}
