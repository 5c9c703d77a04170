import ContainerEngine
import Crypto
import Foundation
import ModelSealSigning
import Testing

@testable import ModelSealBundle

@Suite("Bundles: pack, verify, unpack, and every way they are refused")
struct BundleTests {
    @Test("pack then unpack gives the same files; the manifest is canonical and signed; the writer is deterministic")
    func roundTrip() throws {
        let root = BundleFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let inputs = BundleFixtures.members()
        let path = try BundleFixtures.pack(inputs, in: root)
        let again = try BundleFixtures.pack(inputs, in: root, name: "again.mspkg")
        #expect(BundleFixtures.read(path).count == BundleFixtures.read(again).count)
        let bundle = try OpenedBundle(path: path)
        #expect(bundle.manifest.members.map(\.name) == ["README.txt", "models/m1.mseal", "models/m2.mseal"])
        #expect(try BundleManifest.parse(bundle.manifestBytes) == bundle.manifest)
        let signers = try bundle.verifySignatures(trustedKeys: [BundleFixtures.key.verifyingKey])
        #expect(signers.count == 1 && signers[0].trusted)
        try BundleUnpacker.unpack(bundle, into: root + "/out")
        for input in inputs {
            guard case .bytes(let bytes) = input.source else { continue }
            #expect(BundleFixtures.read(root + "/out/" + input.name) == bytes)
        }
        #expect(BundleFixtures.listing(root).filter { $0.hasPrefix(".") }.isEmpty)
    }

    @Test("an empty member and a file input stream through")
    func fileInput() throws {
        let root = BundleFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        BundleFixtures.write(Array(repeating: 7, count: 3 << 20), to: root + "/big.bin")
        let path = try BundleFixtures.pack(
            [
                .init(name: "empty", role: .other, source: .bytes([])),
                .init(name: "data/big.bin", role: .other, source: .file(root + "/big.bin")),
            ], in: root)
        try BundleUnpacker.unpack(try OpenedBundle(path: path), into: root + "/out")
        #expect(BundleFixtures.read(root + "/out/data/big.bin") == BundleFixtures.read(root + "/big.bin"))
        #expect(BundleFixtures.read(root + "/out/empty").isEmpty)
    }

    /// Unpacking `bytes` fails with an error matching `expected`, and leaves nothing in `root` but the bundle.
    func expectRefused(_ bytes: [UInt8], trusted: [VerifyingKey] = [], _ expected: (Error) -> Bool) {
        let root = BundleFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/x.mspkg"
        BundleFixtures.write(bytes, to: path)
        #expect {
            let bundle = try OpenedBundle(path: path)
            _ = try bundle.verifySignatures(trustedKeys: trusted)
            try BundleUnpacker.unpack(bundle, into: root + "/out")
        } throws: { error in
            expected(error)
        }
        #expect(BundleFixtures.listing(root) == ["x.mspkg"], "nothing may be left behind")
    }

    func signedBundle() throws -> [UInt8] {
        let root = BundleFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        return BundleFixtures.read(try BundleFixtures.pack(BundleFixtures.members(), in: root))
    }

    @Test("a member altered after packing: refused, nothing unpacked (not even the members before it)")
    func altered() throws {
        var bytes = try signedBundle()
        bytes[bytes.count - 5] ^= 1
        expectRefused(bytes) { ($0 as? BundleError) == .memberAltered(name: "models/m2.mseal") }
    }

    @Test("a missing (truncated) last member and an appended extra member are refused before any write")
    func missingAndExtra() throws {
        let bytes = try signedBundle()
        expectRefused(Array(bytes.dropLast(2007))) {
            guard case .sizeMismatch(let text) = $0 as? BundleError else { return false }
            return text.contains("models/m2.mseal") && text.contains("missing")
        }
        expectRefused(bytes + Array("extra member".utf8)) {
            guard case .sizeMismatch(let text) = $0 as? BundleError else { return false }
            return text.contains("appended")
        }
    }

    @Test("a huge declared size is refused from the header alone")
    func hugeSize() {
        let manifest = BundleFixtures.manifest(
            name: "big", size: 9_007_199_254_740_991, sha256: Array(repeating: 0, count: 32))
        expectRefused(BundleFixtures.raw(manifest: manifest, members: [1, 2, 3])) {
            if case .sizeMismatch = $0 as? BundleError { return true }
            return false
        }
        let over = BundleFixtures.manifest(name: "big", size: 0, sha256: Array(repeating: 0, count: 32))
            .replacingOccurrences(of: #""size":0"#, with: #""size":9007199254740992"#)
        expectRefused(BundleFixtures.raw(manifest: over, members: [])) {
            if case .malformedManifest = $0 as? BundleError { return true }
            return false
        }
    }

    @Test(
        "unsafe member names are refused: traversal, absolute, hidden, backslash, empty segments, NUL, collisions",
        arguments: [
            "../../etc/x", "/etc/x", "a/../b", "./a", ".bashrc", "a\\\\b", "a//b", "a/", "a\\u0000b", "a b", "é",
        ])
    func unsafeNames(name: String) {
        let content: [UInt8] = [1, 2, 3]
        let manifest = BundleFixtures.manifest(name: name, size: 3, sha256: Array(SHA256.hash(data: content)))
        expectRefused(BundleFixtures.raw(manifest: manifest, members: content)) { error in
            switch error as? BundleError {
            case .unsafeMemberName, .malformedManifest: true
            default: false
            }
        }
    }

    @Test("two members differing only in case, or a member used as a folder, are refused")
    func collisions() {
        #expect(throws: BundleError.self) { try MemberName.validateSet(["Model.mseal", "model.mseal"]) }
        #expect(throws: BundleError.self) { try MemberName.validateSet(["models", "models/a"]) }
        #expect(throws: Never.self) { try MemberName.validateSet(["models/a", "models/b", "README.txt"]) }
    }

    @Test("a manifest that describes a link (an extra member field) or is not canonical is refused")
    func linksAndCanonical() {
        let content: [UInt8] = [1]
        let hash = Array(SHA256.hash(data: content))
        let link = BundleFixtures.manifest(name: "a", size: 1, sha256: hash, extra: #","type":"symlink""#)
        expectRefused(BundleFixtures.raw(manifest: link, members: content)) {
            if case .malformedManifest = $0 as? BundleError { return true }
            return false
        }
        let spaced = BundleFixtures.manifest(name: "a", size: 1, sha256: hash).replacingOccurrences(of: ",", with: ", ")
        expectRefused(BundleFixtures.raw(manifest: spaced, members: content)) {
            if case .malformedManifest = $0 as? BundleError { return true }
            return false
        }
    }

    @Test("pack refuses symlinks, folders and FIFOs as inputs")
    func packInputs() throws {
        let root = BundleFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        BundleFixtures.write([1], to: root + "/real")
        try FileManager.default.createSymbolicLink(atPath: root + "/link", withDestinationPath: root + "/real")
        mkfifo(root + "/fifo", 0o600)
        for input in ["link", "fifo", "."] {
            #expect(throws: BundleError.self, "\(input)") {
                try BundleFixtures.pack(
                    [.init(name: "x", role: .other, source: .file(root + "/" + input))], in: root, name: "out.mspkg")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: root + "/out.mspkg"))
    }

    @Test("signatures: a changed manifest, an untrusted signer, an unsigned bundle under --trust")
    func signatures() throws {
        var bytes = try signedBundle()
        // Flip one hex digit of the first member's hash inside the signed manifest.
        let manifestText = String(decoding: bytes, as: UTF8.self)
        let range = try #require(manifestText.range(of: #""sha256":""#))
        let index = manifestText.utf8.distance(from: manifestText.utf8.startIndex, to: range.upperBound)
        bytes[index] = bytes[index] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        expectRefused(bytes) {
            if case .invalidSignature = $0 as? SigningError { return true }
            return false
        }
        let stranger = try SigningKey.generate(.ed25519).verifyingKey
        expectRefused(try signedBundle(), trusted: [stranger]) {
            if case .untrustedSigner = $0 as? SigningError { return true }
            return false
        }
        let content: [UInt8] = [1]
        let unsigned = BundleFixtures.raw(
            manifest: BundleFixtures.manifest(name: "a", size: 1, sha256: Array(SHA256.hash(data: content))),
            members: content)
        expectRefused(unsigned, trusted: [stranger]) {
            if case .unsigned = $0 as? SigningError { return true }
            return false
        }
    }

    static let magic: [UInt8] = BundleFormat.magic
    static let emptyObject: [UInt8] = Array("{}".utf8)
    static let malformedCases: [(String, [UInt8])] = [
        ("not a bundle", [UInt8](repeating: 0x41, count: 40)),
        ("version 2", magic + [2, 0, 0, 0, 0, 0, 0, 2] + emptyObject + [0, 0, 0, 1, 0]),
        ("reserved", magic + [1, 0, 1, 0, 0, 0, 0, 2] + emptyObject + [0, 0, 0, 1, 0]),
        ("manifest past the end", magic + [1, 0, 0, 0, 0, 0, 0x10, 0]),
        ("manifest over the cap", magic + [1, 0, 0, 0, 0x7F, 0, 0, 0]),
        ("signature block past the end", magic + [1, 0, 0, 0, 0, 0, 0, 2] + emptyObject + [0, 0, 0, 9, 0]),
        ("signature count over 16", magic + [1, 0, 0, 0, 0, 0, 0, 2] + emptyObject + [0, 0, 0, 1, 17]),
        ("short header", magic + [1]),
        ("empty", []),
    ]

    @Test("malformed headers and signature blocks are refused", arguments: malformedCases)
    func malformed(_ testCase: (String, [UInt8])) {
        expectRefused(testCase.1) { error in
            switch error as? BundleError {
            case .notBundle, .unsupportedVersion, .malformed, .malformedManifest: true
            default: false
            }
        }
    }

    @Test("the target must not exist; nothing is written outside it")
    func targetExists() throws {
        let root = BundleFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = try BundleFixtures.pack(BundleFixtures.members(), in: root)
        try FileManager.default.createDirectory(atPath: root + "/out", withIntermediateDirectories: true)
        #expect(throws: BundleError.self) {
            try BundleUnpacker.unpack(try OpenedBundle(path: path), into: root + "/out")
        }
        #expect(BundleFixtures.listing(root + "/out").isEmpty)
        #expect(BundleFixtures.listing(root).sorted() == ["acme.mspkg", "out"])
    }

    @Test("verify without unpacking reads every member and writes nothing")
    func verifyOnly() throws {
        let root = BundleFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = try BundleFixtures.pack(BundleFixtures.members(), in: root)
        try OpenedBundle(path: path).readMembers(into: nil)
        #expect(BundleFixtures.listing(root) == ["acme.mspkg"])
        #expect(try OpenedBundle(path: path).memberBytes("README.txt", limit: 100) != nil)
    }
}
