import ArticleCompat
import ContainerEngine
import Crypto
import Foundation
import ModelSealCore
import ModelSealKeys
import Testing

/// Runs every file of `Tests/Vectors/fernet/` (made by `scripts/gen-fernet-vectors.py` with real
/// `cryptography`) through the two-pass reader, at several chunk lengths so every boundary
/// (inside a group, inside a block, inside the tag) is crossed.
@Suite("Fernet tokens (the article's files)")
struct FernetTests {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Vectors/fernet")

    static let names: [String] =
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
        .filter { !$0.hasPrefix(".") }
        .sorted()

    /// Characters read per step: one group, odd multiples of 4, a block-and-a-bit, the default.
    static let chunkLengths = [4, 8, 28, 64, 100, FernetFile.defaultChunkLength]

    @Test func folderIsNotEmpty() {
        #expect(Self.names.count >= 30, "no Fernet vectors found in \(Self.folder.path)")
    }

    @Test(arguments: names, chunkLengths)
    func vector(_ name: String, chunkLength: Int) throws {
        let vector = try FernetVector(contentsOf: Self.folder.appendingPathComponent(name))
        let outcome = Self.open(vector.token, key: vector.key, chunkLength: chunkLength)
        switch outcome {
        case .success(let plaintext):
            #expect(vector.expect == "success", "\(name) opened; expected \(vector.expect): \(vector.comment)")
            #expect(SHA256.hash(data: plaintext).hexStringForFernet == vector.payloadDigest, "\(name)")
        case .failure(let error):
            #expect(error.kind == vector.expect, "\(name): expected \(vector.expect), got \(error) (\(vector.comment))")
        }
    }

    /// Content sniffing: every token starts like one, and a ModelSeal file or a torch file does not.
    @Test(arguments: names)
    func detection(_ name: String) throws {
        let vector = try FernetVector(contentsOf: Self.folder.appendingPathComponent(name))
        guard vector.expect != "unsupported_version" else { return }
        #expect(FernetToken.looksLikeToken(vector.token))
    }

    @Test func otherFilesAreNotTokens() {
        #expect(!FernetToken.looksLikeToken(Array("\u{89}MSEAL\r\n".utf8)))
        #expect(!FernetToken.looksLikeToken([0x50, 0x4B, 0x03, 0x04]))
        #expect(!FernetToken.looksLikeToken(Array("gQAA".utf8)))
        #expect(!FernetToken.looksLikeToken(Array("gA".utf8)))
    }

    /// A file rewritten between the passes: pass 2 stops before the first changed chunk's bytes.
    @Test func changeBetweenPassesReleasesOnlyVerifiedChunks() throws {
        let vector = try FernetVector(contentsOf: Self.folder.appendingPathComponent("torch_zip_prefix"))
        let source = MutableSource(vector.token)
        let file = try FernetFile(source, chunkLength: 1024)
        let verified = try file.verify(with: [vector.key])
        let expected = try Self.open(vector.token, key: vector.key, chunkLength: 1024).get()
        // Change one character in the third chunk to another alphabet character.
        source.bytes[2 * 1024 + 10] =
            source.bytes[2 * 1024 + 10] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let stream = verified.plaintext()
        var released: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 100)
        var failure: IOError?
        while true {
            do {
                let count = try buffer.withUnsafeMutableBytes { try stream.read(into: $0) }
                if count == 0 { break }
                released += buffer[0..<count]
            } catch let error as IOError {
                failure = error
                break
            }
        }
        guard case .failed(_, let reason) = failure else {
            Issue.record("expected a failed stream, got \(String(describing: failure))")
            return
        }
        #expect(reason.contains("changed"))
        // Chunks 0 and 1 decode to 1536 bytes: header 25 bytes, so at most 1511 plaintext bytes came out.
        #expect(released.count <= 2 * 768 - 25)
        #expect(Array(expected.prefix(released.count)) == released)
    }

    @Test func shrinkingBetweenPassesFails() throws {
        let vector = try FernetVector(contentsOf: Self.folder.appendingPathComponent("torch_zip_prefix"))
        let source = MutableSource(vector.token)
        let verified = try FernetFile(source, chunkLength: 1024).verify(with: [vector.key])
        source.bytes.removeLast(2000)
        #expect(throws: FernetError.self) { _ = try verified.decrypt(to: MemorySink()) }
    }

    @Test func secondKeyIsFound() throws {
        let vector = try FernetVector(contentsOf: Self.folder.appendingPathComponent("one_byte"))
        let other = try FernetKey(bytes: [UInt8](repeating: 7, count: 32))
        let verified = try FernetFile(MemorySource(vector.token)).verify(with: [other, vector.key])
        #expect(verified.keyIndex == 1)
        #expect(verified.plaintextLength == 1)
    }

    static func open(_ token: [UInt8], key: FernetKey, chunkLength: Int) -> Result<[UInt8], OpenFailure> {
        do {
            let verified = try FernetFile(MemorySource(token), chunkLength: chunkLength).verify(with: [key])
            let sink = MemorySink()
            do {
                let count = try verified.decrypt(to: sink)
                guard count == verified.plaintextLength else { return .failure(.other("short: \(count)")) }
            } catch {
                return .failure(.other("pass 2: \(error)"))
            }
            return .success(sink.bytes)
        } catch {
            return .failure(.fernet(error))
        }
    }

    enum OpenFailure: Error, CustomStringConvertible {
        case fernet(FernetError)
        case other(String)

        /// The vector `expect:` name of the failure.
        var kind: String {
            switch self {
            case .fernet(.malformedText): "malformed_text"
            case .fernet(.truncated): "truncated"
            case .fernet(.unsupportedVersion): "unsupported_version"
            case .fernet(.hmacMismatch): "hmac_mismatch"
            case .fernet(.invalidPadding): "invalid_padding"
            case .fernet(let error): "\(error)"
            case .other(let reason): reason
            }
        }

        var description: String {
            switch self {
            case .fernet(let error): error.description
            case .other(let reason): reason
            }
        }
    }
}

/// One vector file: `key: value` lines, an empty line, the token bytes.
struct FernetVector {
    let expect: String
    let key: FernetKey
    let payloadDigest: String?
    let comment: String
    let token: [UInt8]

    init(contentsOf url: URL) throws {
        let bytes = [UInt8](try Data(contentsOf: url))
        let end = try #require((0..<(bytes.count - 1)).first { bytes[$0] == 0x0A && bytes[$0 + 1] == 0x0A })
        var fields: [String: String] = [:]
        for line in String(decoding: bytes[..<end], as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            fields[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        expect = try #require(fields["expect"])
        key = try FernetKey(bytes: try RawKeyText.decode(Array(try #require(fields["key"]).utf8)).bytes)
        payloadDigest = fields["payload-sha256"]
        comment = fields["comment"] ?? ""
        token = Array(bytes[(end + 2)...])
    }
}

/// Random-access bytes that a test can change between the passes.
final class MutableSource: ByteSource, @unchecked Sendable {
    var bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    var size: Int { bytes.count }
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(IOError) {
        guard offset >= 0, offset + buffer.count <= bytes.count else {
            throw .shortRead(path: "test", offset: offset, needed: buffer.count)
        }
        bytes.withUnsafeBytes {
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + buffer.count)]))
        }
    }
}

extension Digest {
    fileprivate var hexStringForFernet: String { map { String(format: "%02x", $0) }.joined() }
}
