import ContainerEngine
import ContainerFormat
import Crypto
import Foundation
import ModelSealCore
import ModelSealKit
import ModelSealLicensing
import ModelSealSigning
import Testing

/// Sealed files, keys, licenses and observing sources and sinks for the opener's tests.
///
/// Everything is made in the test by the library itself: small payloads (three 64 KiB chunks),
/// Ed25519 signers, raw keys (no scrypt), and licenses issued to this machine in a temporary
/// licensing folder (the opener's `LicenseGate` always probes the real machine and clock).
enum OpenerFixtures {
    /// Three chunks of 64 KiB (the last one short), so a flaw in the last chunk comes after two
    /// chunks a careless opener would already have released.
    static let plaintextLength = 2 * 65536 + 100

    static func plaintext(seed: UInt8 = 1) -> [UInt8] {
        (0..<plaintextLength).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
    }
}

/// A sealed file and what made it: its key, its file key (for forging chunks the way a customer
/// who holds the key could), the trailer if it is signed.
struct SealedFixture {
    let plaintext: [UInt8]
    let key: RawKey
    let fileKey: SymmetricKey
    /// Header and payload, no trailer.
    let unsigned: [UInt8]
    /// The trailer bytes (the same bytes a detached signature file holds); empty when unsigned.
    let trailer: [UInt8]
    let leafHashes: [[UInt8]]
    let headerBytes: [UInt8]
    let payloadLength: Int

    /// The file as shipped: payload followed by its trailer.
    var signed: [UInt8] { unsigned + trailer }

    /// Seals `plaintext` to a fresh raw key (plus `extra` recipients) and signs it with `signers`.
    init(
        plaintext: [UInt8] = OpenerFixtures.plaintext(), signers: [SigningKey] = [], requireSigners: Bool = false,
        extensions: [HeaderExtension] = [], extra: [Recipient] = [], key: RawKey = .generate()
    ) throws {
        let escrow = FileKeyEscrow()
        var options = SealOptions()
        options.chunkLog2 = 16
        options.hashingLeaves = true
        options.extensions = extensions
        if requireSigners {
            options.extensions.append(RequiredSigners.extension(keyIDs: signers.map(\.verifyingKey.keyID)))
        }
        let sink = MemorySink()
        let summary = try Sealer.seal(
            MemorySource(plaintext), to: sink, recipients: [key, escrow] + extra, options: options)
        self.plaintext = plaintext
        self.key = key
        fileKey = try #require(escrow.fileKey)
        unsigned = sink.bytes
        leafHashes = summary.leafHashes
        headerBytes = summary.headerBytes
        payloadLength = summary.payloadLength
        let entries = try signers.map { signer in
            try FileSignatures.entry(
                key: signer, headerBytes: summary.headerBytes, payloadLength: summary.payloadLength,
                leafHashes: summary.leafHashes)
        }
        trailer = entries.isEmpty ? [] : SignatureTrailer(leafHashes: summary.leafHashes, entries: entries).encoded()
    }

    /// A detached signature by `signer` over this file (trailer bytes for a file without one).
    func detachedSignature(by signer: SigningKey) throws -> [UInt8] {
        let entry = try FileSignatures.entry(
            key: signer, headerBytes: headerBytes, payloadLength: payloadLength, leafHashes: leafHashes)
        return SignatureTrailer(leafHashes: leafHashes, entries: [entry]).encoded()
    }

    /// `bytes` with chunk `index` replaced by a chunk of other plaintext sealed under this file's
    /// real payload key: it authenticates (AEAD), only the signed chunk list can tell.
    func forgingChunk(_ index: Int, of bytes: [UInt8]) throws -> [UInt8] {
        let file = try SealedFile(MemorySource(bytes))
        let cipher = ChunkCipher(
            suite: file.header.suite, key: KeySchedule(fileKey: fileKey).payloadKey(salt: file.header.payloadSalt))
        let start = file.payloadRange.lowerBound + file.layout.offset(ofChunk: index)
        let length = file.layout.length(ofChunk: index)
        let other = [UInt8](repeating: 0x41, count: length - SealedFormat.tagLength)
        let chunk = try other.withUnsafeBytes {
            try cipher.seal($0, index: index, isLast: index == file.layout.chunkCount - 1)
        }
        var forged = bytes
        forged.replaceSubrange(start..<(start + length), with: Array(chunk))
        return forged
    }
}

/// Flips one bit of `bytes` at `offset`.
func flipping(_ offset: Int, of bytes: [UInt8]) -> [UInt8] {
    var damaged = bytes
    damaged[offset] ^= 0x10
    return damaged
}

/// Offsets of interest in a sealed file.
extension SealedFixture {
    /// A byte of the payload salt (spec/CONTAINER.md §2, offset 16): parses, fails the header MAC.
    static let saltOffset = 16
    /// The last byte of the header MAC.
    var headerMACOffset: Int { headerBytes.count - 1 }
    /// A byte inside the last chunk's ciphertext.
    var lastChunkOffset: Int { headerBytes.count + payloadLength - 40 }
    /// Bytes of the payload.
    var payloadRange: Range<Int> { headerBytes.count..<(headerBytes.count + payloadLength) }
}

/// A recipient that keeps the file key it is asked to wrap: a stand-in for a customer who holds
/// the file key (it can re-seal chunks; only signatures stop it), built from a raw key's stanza.
final class FileKeyEscrow: Recipient, @unchecked Sendable {
    private let lock = NSLock()
    private let inner = RawKey.generate()
    private var captured: SymmetricKey?

    var fileKey: SymmetricKey? { lock.withLock { captured } }

    func wrap(_ fileKey: SymmetricKey) throws(SealError) -> Stanza {
        lock.withLock { captured = fileKey }
        return try inner.wrap(fileKey)
    }
}

/// An identity that never opens anything and counts how often it was asked.
final class SpyIdentity: Identity, @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    var calls: Int { lock.withLock { count } }

    func unwrap(_ stanzas: [Stanza]) throws(SealError) -> SymmetricKey? {
        lock.withLock { count += 1 }
        return nil
    }
}

/// A file in memory that records every range read from it (chunks are read on worker threads).
final class RecordingSource: ByteSource, @unchecked Sendable {
    private let lock = NSLock()
    private let bytes: [UInt8]
    private var ranges: [Range<Int>] = []

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var size: Int { bytes.count }
    var reads: [Range<Int>] { lock.withLock { ranges } }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(IOError) {
        guard offset >= 0, offset <= bytes.count, buffer.count <= bytes.count - offset else {
            throw .shortRead(path: "test", offset: offset, needed: buffer.count)
        }
        lock.withLock { ranges.append(offset..<(offset + buffer.count)) }
        bytes.withUnsafeBytes {
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + buffer.count)]))
        }
    }

    /// True when some read touched a chunk of `payload`. Parsing reads the file's last
    /// `trailerFooterLength` bytes to look for a trailer (spec/SIGNATURES.md §3), which are the last chunk's
    /// tag when the file is unsigned: that probe is not reading a chunk.
    func readChunk(of payload: Range<Int>) -> Bool {
        let footer = (bytes.count - SealedFormat.trailerFooterLength)..<bytes.count
        return reads.contains { $0 != footer && $0.overlaps(payload) }
    }
}

/// A sink that records everything it is given, and how many writes it saw.
final class RecordingSink: ByteSink {
    private(set) var bytes: [UInt8] = []
    private(set) var writes = 0
    var offset: Int { bytes.count }

    func write(_ buffer: UnsafeRawBufferPointer) throws(IOError) {
        writes += 1
        bytes.append(contentsOf: buffer)
    }
}

/// How a surface receives the plaintext.
enum ReleasePath: String, CaseIterable, CustomTestStringConvertible {
    /// `open -o -`, a pipe: `sinkReleasesImmediately: true`, every chunk verified before the first write.
    case immediate
    /// `open -o FILE`: an unnamed temporary file linked only on success (`sinkReleasesImmediately: false`);
    /// the caller discards the sink when `open` throws.
    case staged
    /// The C ABI and Python: `prepare` (`modelseal_file_unlock`), then `decrypt(into:)` a caller buffer
    /// that is zeroed on failure.
    case buffer

    var testDescription: String { rawValue }
}

/// What one open did: the error (if any), what a caller following the path's contract would expose,
/// and what the opener read.
struct OpenOutcome {
    var error: Error?
    /// Bytes exposed to the world: everything written for `immediate`; the sink's bytes for `staged`
    /// only when `open` returned (the caller commits then, and discards otherwise); the buffer for
    /// `buffer`.
    var released: [UInt8]
    /// Writes the sink saw (0 for `buffer`).
    var sinkWrites: Int
    /// Bytes the sink saw, whether or not committed.
    var staged: [UInt8]
    var source: RecordingSource
    var result: ModelOpener.Result?

    var status: StatusCode? { error.map { StatusCode(for: $0) } }

    /// The documented promise: no plaintext byte (of the real or a forged payload) reaches the caller.
    var releasedNothing: Bool {
        // A buffer is prefilled with 0xA5: untouched or zeroed both release nothing.
        released.isEmpty || released.allSatisfy { $0 == 0 } || released.allSatisfy { $0 == OpenOutcome.bufferFill }
    }

    static let bufferFill: UInt8 = 0xA5
}

extension OpenOutcome: CustomTestStringConvertible {
    /// Short, so that a failed expectation does not print the 128 KiB arrays.
    var testDescription: String {
        let ending = error.map { "refused (\($0))" } ?? "opened"
        return "\(ending), released \(released.count) bytes (\(releasedNothing ? "no plaintext" : "plaintext")), "
            + "\(sinkWrites) sink writes, \(source.reads.count) reads"
    }
}

/// Expects `outcome` to have released exactly `plaintext`, without printing 128 KiB arrays on failure.
func expectReleased(_ outcome: OpenOutcome, _ plaintext: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
    let same = outcome.released == plaintext
    let detail = outcome.error.map { "refused: \($0)" } ?? "released \(outcome.released.count) bytes"
    #expect(same, "expected the \(plaintext.count)-byte plaintext; \(detail)", sourceLocation: sourceLocation)
}

extension ModelOpener {
    /// Opens `bytes` along `path`, recording everything.
    func attempt(_ bytes: [UInt8], via path: ReleasePath) -> OpenOutcome {
        let source = RecordingSource(bytes)
        let sink = RecordingSink()
        switch path {
        case .immediate, .staged:
            do {
                let result = try open(source, to: sink, sinkReleasesImmediately: path == .immediate)
                return OpenOutcome(
                    error: nil, released: sink.bytes, sinkWrites: sink.writes, staged: sink.bytes, source: source,
                    result: result)
            } catch {
                return OpenOutcome(
                    error: error, released: path == .immediate ? sink.bytes : [], sinkWrites: sink.writes,
                    staged: sink.bytes, source: source, result: nil)
            }
        case .buffer:
            var buffer = [UInt8](repeating: OpenOutcome.bufferFill, count: OpenerFixtures.plaintextLength)
            do {
                let prepared = try prepare(source)
                if buffer.count < prepared.plaintextLength {
                    buffer += [UInt8](repeating: OpenOutcome.bufferFill, count: prepared.plaintextLength - buffer.count)
                }
                try buffer.withUnsafeMutableBytes { try prepared.decrypt(into: $0) }
                return OpenOutcome(
                    error: nil, released: Array(buffer.prefix(prepared.plaintextLength)), sinkWrites: 0, staged: [],
                    source: source, result: nil)
            } catch {
                return OpenOutcome(
                    error: error, released: buffer, sinkWrites: 0, staged: [], source: source, result: nil)
            }
        }
    }
}

/// A vendor and this machine's licensing folder (a temporary one): requests, licenses and gates.
///
/// `LicenseGate` reads the real machine's fingerprint and clock, so licenses are issued to this
/// machine; only the folder is private to the test.
final class LicenseFixture {
    let folder: String
    let directory: LicensingDirectory
    let vendor: SigningKey
    private(set) var request: LicenseRequest

    init() throws {
        folder = NSTemporaryDirectory() + "modelseal-kit-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        directory = LicensingDirectory(path: folder + "/licensing")
        vendor = try SigningKey.generate(.ed25519)
        request = try LicenseRequest.create(
            vendorKeyID: vendor.verifyingKey.keyID, tolerance: 1, label: "kit tests", directory: directory)
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    /// A new `license request` on this machine: licenses issued before it now belong to another machine key.
    func requestAgain() throws {
        request = try LicenseRequest.create(
            vendorKeyID: vendor.verifyingKey.keyID, tolerance: 1, label: "kit tests", directory: directory)
    }

    /// A license for `model` (sealed to `key`), issued at `issuedAt`.
    func issue(
        for model: [UInt8], key: RawKey, terms: LicenseTerms = LicenseTerms(customer: "ACME"),
        issuedAt: Int64 = LicenseClock.now()
    ) throws -> SignedLicense {
        let unlocked = try SealedFile(MemorySource(model)).unlock(with: [key])
        return try LicenseIssuer.issue(
            request: request, models: [(file: unlocked, name: "model.mseal")], licenseKey: .generate(), terms: terms,
            signingKey: vendor, algorithm: .ed25519, now: issuedAt)
    }

    /// The gate every surface builds from a license file on disk.
    func gate(_ license: SignedLicense, use: LicenseUse = .memory) throws -> LicenseGate {
        let path = folder + "/" + UUID().uuidString + ".lic"
        try Data(license.encoded).write(to: URL(fileURLWithPath: path))
        return try LicenseGate(
            path: path, use: use, directory: directory, records: LicenseRecords(path: folder + "/records"))
    }

    /// An opener holding only `license` (as `open --license` and Python `load(license=)` build it).
    func opener(_ license: SignedLicense, use: LicenseUse = .memory) throws -> ModelOpener {
        var opener = ModelOpener(identities: [])
        opener.license = try gate(license, use: use)
        return opener
    }
}

/// Terms of a license that expired yesterday (issued ten days ago).
func expiredTerms(now: Int64) -> (terms: LicenseTerms, issuedAt: Int64) {
    var terms = LicenseTerms(customer: "ACME")
    terms.notBefore = now - 10 * 86_400
    terms.expiresAt = now - 86_400
    return (terms, now - 10 * 86_400)
}
