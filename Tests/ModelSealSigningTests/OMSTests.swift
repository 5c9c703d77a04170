import ContainerEngine
import Crypto
import Foundation
import ModelSealCore
import TestSupport
import Testing

@testable import ModelSealSigning

/// OpenSSF model signing (key mode) against the vectors `model_signing` made (`Tests/Vectors/oms`,
/// scripts/gen-oms-vectors.py) and against itself.
@Suite struct OMSTests {
    static let vectors = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Vectors/oms")

    static func vector(_ name: String) -> String { vectors.appendingPathComponent(name).path }

    static func publicKey(_ name: String) throws -> VerifyingKey {
        try KeyFile.verifyingKey(text: String(contentsOfFile: vector("\(name).pub"), encoding: .utf8))
    }

    static func privateKey(_ name: String) throws -> SigningKey {
        try KeyFile.signingKey(pem: String(contentsOfFile: vector("\(name).pem"), encoding: .utf8))
    }

    static func bundle(_ name: String) throws -> [UInt8] { try OpenSSFModelSigning.readBundle(path: vector(name)) }

    /// A scratch copy of the vector model.
    static func scratchModel() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("oms-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let model = directory.appendingPathComponent("model")
        try FileManager.default.copyItem(at: vectors.appendingPathComponent("model"), to: model)
        return model
    }

    @Test(arguments: ["p256", "p384", "p521"])
    func keyHintIsSHA256OfPythonPEM(curve: String) throws {
        let lines = try String(contentsOfFile: Self.vector("key-hints.txt"), encoding: .utf8).split(separator: "\n")
        let expected = try #require(lines.first { $0.hasPrefix(curve + " ") }).split(separator: " ")[1]
        let key = try Self.publicKey(curve)
        #expect(key.omsKeyHint == String(expected))
        #expect(key.pem == (try String(contentsOfFile: Self.vector("\(curve).pub"), encoding: .utf8)))
    }

    @Test(arguments: ["p256", "p384", "p521"])
    func verifiesModelSigningBundles(curve: String) throws {
        let result = try OpenSSFModelSigning.verify(
            modelAt: Self.vector("model"), bundle: try Self.bundle("model.\(curve).sig"),
            trustedKeys: [try Self.publicKey(curve)])
        #expect(result.manifest.resources.map(\.name) == ["B", "a/nested/config.json", "a/weights.bin", "a-c", "a.b"])
        #expect(result.signer.omsKeyHint == (try Self.publicKey(curve)).omsKeyHint)
    }

    @Test func verifiesSingleFileAndShardBundles() throws {
        let single = try OpenSSFModelSigning.verify(
            modelAt: Self.vector("single.bin"), bundle: try Self.bundle("single.p256.sig"),
            trustedKeys: [try Self.publicKey("p256")])
        #expect(single.manifest.resources.map(\.name) == ["."])
        let shards = try OpenSSFModelSigning.verify(
            modelAt: Self.vector("model"), bundle: try Self.bundle("model.shards-4096.sig"),
            trustedKeys: [try Self.publicKey("p256")])
        #expect(shards.manifest.serialization == .shards(size: 4096))
        #expect(shards.manifest.resources.contains { $0.name == "a/weights.bin:69632:70000" })
    }

    @Test func ourManifestEqualsModelSigningsManifest() throws {
        let theirs = try OpenSSFModelSigning.verify(
            modelAt: Self.vector("model"), bundle: try Self.bundle("model.p256.sig"),
            trustedKeys: [try Self.publicKey("p256")]
        ).manifest
        let ours = try ModelManifest.hashing(modelAt: Self.vector("model"))
        #expect(ours.resources == theirs.resources)
        #expect(ours.rootDigest == theirs.rootDigest)
        #expect(ours.modelName == "model")
    }

    @Test(arguments: ["p256", "p384", "p521"])
    func signsAndVerifiesItsOwn(curve: String) throws {
        let model = try Self.scratchModel()
        let signature = model.appendingPathComponent("model.sig").path
        let bytes = try OpenSSFModelSigning.sign(
            modelAt: model.path, with: try Self.privateKey(curve), signaturePath: signature)
        try Data(bytes).write(to: URL(fileURLWithPath: signature))
        let result = try OpenSSFModelSigning.verify(
            modelAt: model.path, bundle: bytes, trustedKeys: [try Self.publicKey(curve)], signaturePath: signature)
        #expect(result.manifest.ignorePaths.first == "model.sig")
        #expect(!result.manifest.resources.contains { $0.name == "model.sig" })
    }

    @Test func tamperedExtraAndMissingFilesAreManifestMismatches() throws {
        let model = try Self.scratchModel()
        let key = try Self.publicKey("p256")
        let bundle = try Self.bundle("model.p256.sig")
        try Data("changed".utf8).write(to: model.appendingPathComponent("B"))
        try Data("new".utf8).write(to: model.appendingPathComponent("a/extra.txt"))
        try FileManager.default.removeItem(at: model.appendingPathComponent("a-c"))
        #expect {
            try OpenSSFModelSigning.verify(modelAt: model.path, bundle: bundle, trustedKeys: [key])
        } throws: { error in
            guard case .manifestMismatch(let text) = error as? SigningError else { return false }
            return text.contains("missing: 'a-c'") && text.contains("not in the signature: 'a/extra.txt'")
                && text.contains("changed since signing: 'B'")
        }
    }

    @Test func wrongKeyIsAnUnknownSigner() throws {
        #expect {
            try OpenSSFModelSigning.verify(
                modelAt: Self.vector("model"), bundle: try Self.bundle("model.p256.sig"),
                trustedKeys: [try Self.publicKey("p384")])
        } throws: { error in
            if case .unknownSigner = error as? SigningError { return true } else { return false }
        }
    }

    @Test func nonECKeysAreRefusedBothWays() throws {
        let ed25519 = try SigningKey.generate(.ed25519)
        #expect(throws: SigningError.self) {
            try OpenSSFModelSigning.sign(modelAt: Self.vector("model"), with: ed25519)
        }
        #expect {
            try OpenSSFModelSigning.verify(
                modelAt: Self.vector("model"), bundle: try Self.bundle("model.p256.sig"),
                trustedKeys: [ed25519.verifyingKey])
        } throws: { error in
            guard case .unsuitableKey(let text) = error as? SigningError else { return false }
            return text.contains("P-256")
        }
    }

    @Test func truncatedBundleIsMalformed() throws {
        let bytes = try Self.bundle("model.p256.sig")
        for length in [0, 1, bytes.count / 2, bytes.count - 1] {
            #expect {
                try OpenSSFModelSigning.verify(
                    modelAt: Self.vector("model"), bundle: Array(bytes.prefix(length)),
                    trustedKeys: [try Self.publicKey("p256")])
            } throws: { error in
                if case .malformedSignature = error as? SigningError { return true } else { return false }
            }
        }
    }

    @Test func alteredSignatureIsInvalid() throws {
        var bundle = try SigstoreBundle(decoding: try Self.bundle("model.p256.sig"))
        bundle.signature[bundle.signature.count - 3] ^= 1
        #expect {
            try OpenSSFModelSigning.verify(
                modelAt: Self.vector("model"), bundle: bundle.encoded(), trustedKeys: [try Self.publicKey("p256")])
        } throws: { error in
            if case .invalidSignature = error as? SigningError { return true } else { return false }
        }
    }

    @Test func signatureOverAnotherModelIsAMismatch() throws {
        #expect {
            try OpenSSFModelSigning.verify(
                modelAt: Self.vector("single.bin"), bundle: try Self.bundle("model.p256.sig"),
                trustedKeys: [try Self.publicKey("p256")])
        } throws: { error in
            if case .manifestMismatch = error as? SigningError { return true } else { return false }
        }
    }

    @Test func bundleParsingIsStrict() throws {
        let good = String(decoding: try Self.bundle("model.p256.sig"), as: UTF8.self)
        let cases: [(String, String)] = [
            ("application/vnd.dev.sigstore.bundle.v0.3+json", "application/vnd.dev.sigstore.bundle+json;version=0.2"),
            ("\"tlogEntries\":[]", "\"tlogEntries\":[{}]"),
            ("\"keyid\":\"\"}]", "\"keyid\":\"\"},{\"sig\":\"AA==\",\"keyid\":\"\"}]"),
            ("\"payloadType\":\"application/vnd.in-toto+json\"", "\"payloadType\":\"text/plain\""),
            ("\"hint\":\"", "\"hint\":\"zz"),
            ("\"mediaType\":", "\"mediaType\":1,\"x\":"),
            // JSONDecoder keeps the first of two equal keys and Python the last: refused, spelled either way.
            ("{\"mediaType\":", "{\"mediaType\":\"bogus\",\"mediaType\":"),
            ("{\"mediaType\":", "{\"\\u006dediaType\":\"bogus\",\"mediaType\":"),
            ("\"dsseEnvelope\":", "\"dsseEnvelope\":" + String(repeating: "[", count: 100)),
        ]
        for (from, to) in cases {
            #expect(good.contains(from), "vector lacks \(from)")
            let bad = Array(good.replacingOccurrences(of: from, with: to).utf8)
            #expect {
                try OpenSSFModelSigning.verify(
                    modelAt: Self.vector("model"), bundle: bad, trustedKeys: [try Self.publicKey("p256")])
            } throws: { error in
                if case .malformedSignature = error as? SigningError { return true } else { return false }
            }
        }
    }

    @Test func statementChecksRootDigestAndDuplicates() throws {
        let key = try Self.privateKey("p256")
        var manifest = try ModelManifest.hashing(modelAt: Self.vector("model"))
        manifest.resources.append(manifest.resources[0])
        #expect(throws: SigningError.self) { try InTotoStatement.decode(InTotoStatement.encode(manifest)) }
        let good = String(
            decoding: InTotoStatement.encode(try ModelManifest.hashing(modelAt: Self.vector("model"))), as: UTF8.self)
        let wrongRoot = good.replacingOccurrences(of: "\"sha256\":\"", with: "\"sha256\":\"00")
        #expect(throws: SigningError.self) { try InTotoStatement.decode(Array(wrongRoot.utf8)) }
        _ = key
    }

    @Test func paeMatchesTheDSSESpecification() {
        let pae = DSSEEnvelope.pae(payloadType: "application/vnd.in-toto+json", payload: Array("{}".utf8))
        #expect(String(decoding: pae, as: UTF8.self) == "DSSEv1 28 application/vnd.in-toto+json 2 {}")
    }

    @Test func resourceOrderIsComponentWise() {
        let names = [["a.txt"], ["a", "b"], ["B"], ["a-c"], ["é"], ["z"]]
        let sorted = names.sorted(by: ModelFiles.precedes)
        #expect(sorted == [["B"], ["a", "b"], ["a-c"], ["a.txt"], ["z"], ["é"]])
    }

    @Test func symlinksAreRefused() throws {
        let model = try Self.scratchModel()
        try FileManager.default.createSymbolicLink(
            atPath: model.appendingPathComponent("link").path, withDestinationPath: "B")
        #expect(throws: IOError.self) { try ModelManifest.hashing(modelAt: model.path) }
    }

    @Test func gitPathsAndIgnoredPathsAreSkipped() throws {
        let model = try Self.scratchModel()
        try FileManager.default.createDirectory(
            at: model.appendingPathComponent(".git"), withIntermediateDirectories: true)
        try Data("ref".utf8).write(to: model.appendingPathComponent(".git/HEAD"))
        try Data("x".utf8).write(to: model.appendingPathComponent("notes.md"))
        let manifest = try ModelManifest.hashing(modelAt: model.path, ignoring: ["notes.md"])
        #expect(!manifest.resources.contains { $0.name.hasPrefix(".git") || $0.name == "notes.md" })
        #expect(manifest.ignorePaths.starts(with: ["notes.md", ".git"]))
    }

    /// Files past `pipelineThreshold` are read by a second thread: the digests must not change, for whole files
    /// and for shards that cross buffer boundaries.
    @Test func largeFilesHashTheSameThroughTheReadAheadThread() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("oms-large-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // 1 MiB of random bytes, repeated with each copy's first bytes numbered, so misordered buffers show.
        let block = (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255) }
        let length = ParallelDigests.pipelineThreshold + 3 * ParallelDigests.readSize + 12_345
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length + block.count)
        var copy = 0
        while bytes.count < length {
            withUnsafeBytes(of: copy) { bytes += $0 }
            bytes += block.dropFirst(MemoryLayout<Int>.size)
            copy += 1
        }
        bytes.removeLast(bytes.count - length)
        let file = directory.appendingPathComponent("big.bin")
        try Data(bytes).write(to: file)
        let whole = try ModelManifest.hashing(modelAt: file.path)
        #expect(whole.resources == [.init(name: ".", digest: Array(SHA256.hash(data: bytes)))])
        let size = ParallelDigests.pipelineThreshold + 1_000_003
        let shards = try ModelManifest.hashing(modelAt: file.path, serialization: .shards(size: size))
        #expect(shards.resources.map(\.name) == [".:0:\(size)", ".:\(size):\(length)"])
        #expect(shards.resources[0].digest == Array(SHA256.hash(data: bytes[0..<size])))
        #expect(shards.resources[1].digest == Array(SHA256.hash(data: bytes[size...])))
    }

    /// Seeded mutations of every vector bundle and of its statement: parsing never traps, and whatever parses
    /// re-encodes to the same manifest (the property FuzzOMSBundle checks at scale).
    @Test(arguments: ["model.p256.sig", "model.shards-4096.sig", "single.p256.sig"])
    func mutatedBundlesFailCleanlyOrRoundTrip(vector: String) throws {
        var random = SplitMix64(seed: 0x6f6d73)
        let original = try Self.bundle(vector)
        let statement = try SigstoreBundle(decoding: original).payload
        for (base, parse) in [
            (original, { (bytes: [UInt8]) in try OpenSSFModelSigning.unverifiedContents(of: bytes).manifest }),
            (statement, { (bytes: [UInt8]) in try OpenSSFModelSigning.manifest(fromStatement: bytes) }),
        ] {
            for _ in 0..<300 {
                var bytes = base
                for _ in 0...(random.next() % 3) {
                    let position = Int(random.next() % UInt64(bytes.count))
                    switch random.next() % 4 {
                    case 0: bytes[position] ^= UInt8(truncatingIfNeeded: random.next() | 1)
                    case 1: bytes.removeSubrange(position...)
                    case 2: bytes.insert(Array("{}[]\",:0\\".utf8)[Int(random.next() % 9)], at: position)
                    default: bytes.remove(at: position)
                    }
                    if bytes.isEmpty { break }
                }
                guard let manifest = try? parse(bytes) else { continue }
                let again = try OpenSSFModelSigning.manifest(
                    fromStatement: OpenSSFModelSigning.statement(for: manifest))
                #expect(again == manifest)
            }
        }
    }
}
