import ContainerEngine
import ContainerFormat
import Crypto
import Foundation
import ModelSealCore
import ModelSealKeys
import Testing

/// Runs every file of `Tests/Vectors/container/` (spec/CONTAINER.md §10) against the Swift implementation.
///
/// The vectors come from `scripts/gen-container-vectors.py`, a second implementation of spec/CONTAINER.md
/// written from the document alone; `scripts/gen-container-vectors.sh --check` keeps them in sync.
@Suite("Container vectors")
struct ContainerVectorTests {
    /// Vectors on which the Swift implementation and spec/CONTAINER.md disagree, with the reason.
    /// Vectors the Swift implementation is known to disagree on (none: keep it that way).
    static let knownIssues: [String: String] = [:]

    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Vectors/container")

    static let names: [String] =
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
        .filter { !$0.hasPrefix(".") }
        .sorted()

    @Test func folderIsNotEmpty() {
        #expect(Self.names.count >= 50, "no container vectors found in \(Self.folder.path)")
    }

    @Test(arguments: names)
    func vector(_ name: String) throws {
        let vector = try ContainerVector(contentsOf: Self.folder.appendingPathComponent(name))
        if let reason = Self.knownIssues[name] {
            withKnownIssue(Comment(rawValue: reason)) { try check(vector) }
        } else {
            try check(vector)
        }
    }

    /// Every header that opens is canonical: parsing and re-encoding it gives the same bytes.
    @Test(arguments: names)
    func successHeaderReencodes(_ name: String) throws {
        let vector = try ContainerVector(contentsOf: Self.folder.appendingPathComponent(name))
        guard vector.expect == .success else { return }
        let headerBytes = Array(vector.sealed.prefix(try #require(vector.declaredHeaderLength)))
        let header = try SealedHeader.parse(headerBytes)
        #expect(try header.encoded() == headerBytes)
    }

    private func check(_ vector: ContainerVector) throws {
        let identities = try vector.identities()
        let result = Self.open(vector.sealed, with: identities)
        switch (vector.expect, result) {
        case (.success, .success(let plaintext, let metadata)):
            #expect(SHA256.hash(data: plaintext).hexString == vector.payloadDigest, "\(vector.comment)")
            #expect(metadata == vector.metadata, "\(vector.comment)")
        case (_, .success):
            Issue.record("\(vector.name) opened; expected \(vector.expect.rawValue): \(vector.comment)")
        case (_, .failure(let error)):
            #expect(
                Outcome(error) == vector.expect,
                "\(vector.name): expected \(vector.expect.rawValue), got \(error) (\(vector.comment))")
        }
    }

    private enum Opened {
        case success([UInt8], [String: String])
        case failure(SealError)
    }

    private static func open(_ sealed: [UInt8], with identities: [any Identity]) -> Opened {
        do throws(SealError) {
            let unlocked = try SealedFile(MemorySource(sealed)).unlock(with: identities)
            let metadata = try unlocked.metadata()
            return .success(try unlocked.plaintext(), metadata.entries)
        } catch {
            return .failure(error)
        }
    }
}

/// The outcome classes of the vectors' `expect:` line.
enum Outcome: String, Sendable {
    case success
    case noMatch = "no match"
    case headerFailure = "header failure"
    case payloadFailure = "payload failure"
    case malformed
    case truncated
    case unsupported
    case unsafeParameters = "unsafe parameters"

    /// The class of a Swift error; `nil` for errors no vector expects (I/O, invalid keys).
    init?(_ error: SealError) {
        switch error {
        case .noMatchingIdentity: self = .noMatch
        case .headerMACMismatch, .extensionAuthenticationFailed: self = .headerFailure
        case .chunkAuthenticationFailed, .chunkNotSigned: self = .payloadFailure
        case .unsafeScryptParameters: self = .unsafeParameters
        case .malformedExtension: self = .malformed
        case .malformed(let format):
            switch format {
            case .truncatedHeader, .truncatedPayload, .malformedTrailer: self = .truncated
            case .unsupportedVersion, .unsupportedSuite, .unknownCriticalExtension:
                self = .unsupported
            default: self = .malformed
            }
        case .invalidKey, .noRecipients, .inputFailed, .outputFailed: return nil
        }
    }
}

/// One vector file: `key: value` lines, an empty line, then the sealed file's bytes.
struct ContainerVector {
    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    let name: String
    let expect: Outcome
    let payloadDigest: String?
    let metadata: [String: String]
    let identityLines: [(key: String, value: String)]
    let comment: String
    let sealed: [UInt8]

    init(contentsOf url: URL) throws {
        name = url.lastPathComponent
        let bytes = [UInt8](try Data(contentsOf: url))
        guard let end = (0..<max(bytes.count - 1, 0)).first(where: { bytes[$0] == 0x0A && bytes[$0 + 1] == 0x0A })
        else { throw Malformed(description: "\(name): no empty line after the preamble") }
        sealed = Array(bytes[(end + 2)...])
        var lines: [(key: String, value: String)] = []
        for line in String(decoding: bytes[..<end], as: UTF8.self).split(separator: "\n") {
            guard let colon = line.firstRange(of: ": ") else {
                throw Malformed(description: "\(name): preamble line '\(line)' is not 'key: value'")
            }
            lines.append((String(line[..<colon.lowerBound]), String(line[colon.upperBound...])))
        }
        func values(_ key: String) -> [String] { lines.filter { $0.key == key }.map(\.value) }
        guard let expectText = values("expect").first, let expect = Outcome(rawValue: expectText) else {
            throw Malformed(description: "\(name): missing or unknown expect line")
        }
        self.expect = expect
        payloadDigest = values("payload").first
        comment = values("comment").first ?? ""
        var metadata: [String: String] = [:]
        for entry in values("metadata") {
            guard let equals = entry.firstIndex(of: "=") else {
                throw Malformed(description: "\(name): metadata line '\(entry)' is not key=value")
            }
            metadata[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
        }
        self.metadata = metadata
        identityLines = lines.filter { ["identity", "key", "passphrase"].contains($0.key) }
    }

    /// `header_length` (bytes 12..<16), when the file is long enough to have one.
    var declaredHeaderLength: Int? {
        guard sealed.count >= 16 else { return nil }
        return sealed[12..<16].reduce(0) { $0 << 8 | Int($1) }
    }

    /// The identities of the preamble, built with the public key-text API.
    func identities() throws -> [any Identity] {
        try identityLines.map { line -> any Identity in
            switch line.key {
            case "identity": try KeyText.identity(line.value)
            case "key": try RawKeyText.decode(Array(line.value.utf8))
            default: try Passphrase(line.value)
            }
        }
    }
}

extension Sequence<UInt8> {
    fileprivate var hexString: String {
        map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
}
