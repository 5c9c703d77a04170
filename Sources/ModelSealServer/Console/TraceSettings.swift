import ModelSealCore
import ModelSealMark
import Synchronization

/// What the console's trace page needs that the database does not hold (docs/CONSOLE.md §Trace): the
/// folder of unmarked originals and the vendor's mark secret, from `--originals DIR` and
/// `--mark-secret FILE`; the issued ids come from the store's mark registry.
public struct TraceSettings: Sendable {
    public let originals: String
    public let secret: [UInt8]
    /// Largest suspect file accepted (the upload is refused past it, nothing kept).
    public let maxUploadBytes: Int
    /// A trace still running after this answers "took too long" (the page is freed; the work ends alone).
    public let timeoutSeconds: Int
    /// Most issued ids read from the registry for one model id.
    public let maxIssued: Int
    /// One trace at a time per server: a second gets "busy" (bounds the CPU and memory traces take).
    let busy = TraceGate()
    /// Files of the originals folder offered, at most.
    static let maxOriginals = 1000

    public init(
        originals: String, secretFile: String, maxUploadBytes: Int = 4 << 30, timeoutSeconds: Int = 300,
        maxIssued: Int = 100_000
    ) throws {
        guard FileKind(originals) == .directory else {
            throw StoreError.database("--originals \(originals) is not a folder")
        }
        let secret = try SmallFile.read(secretFile, limit: MarkKey.secretBytes.upperBound + 1)
        guard MarkKey.secretBytes.contains(secret.count) else {
            throw StoreError.database("--mark-secret \(secretFile): a mark secret is 16 to 4096 bytes")
        }
        self.originals = originals
        self.secret = secret
        self.maxUploadBytes = maxUploadBytes
        self.timeoutSeconds = timeoutSeconds
        self.maxIssued = maxIssued
    }

    /// The model files of the originals folder (`.pt`, `.pth`, `.bin`, `.safetensors`), sorted.
    func originalNames() -> [String] {
        let names = (try? Directory.entries(originals, requireUTF8: true)) ?? []
        let kept = names.filter { name in
            !name.hasPrefix(".") && [".pt", ".pth", ".bin", ".safetensors"].contains { name.hasSuffix($0) }
                && FileKind(originals + "/" + name) == .file
        }
        return Array(kept.sorted().prefix(Self.maxOriginals))
    }
}

/// Admits one trace at a time.
final class TraceGate: Sendable {
    private let running = Mutex(false)

    /// True when the caller may start (and must call `finish()`); false while another trace runs.
    func start() -> Bool {
        running.withLock { running in
            if running { return false }
            running = true
            return true
        }
    }

    func finish() { running.withLock { $0 = false } }
}
