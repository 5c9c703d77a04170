import ContainerEngine
import Foundation
import ModelSealBundle
import ModelSealCore
import ModelSealKit
import ModelSealSigning
import Testing

@Suite("Sealed folders: seal's directory mode and opening through the set manifest (spec/FOLDERS.md)")
struct SealedFolderTests {
    /// A plain model folder and its sealed copies (signed or not), in a temporary folder.
    final class Fixture {
        let root = NSTemporaryDirectory() + "modelseal-folder-" + UUID().uuidString
        let key = RawKey.generate()
        let vendor: SigningKey

        init() throws {
            vendor = try SigningKey.generate(.ed25519)
            try FileManager.default.createDirectory(atPath: root + "/plain", withIntermediateDirectories: true)
            let files: [String: Int] = [
                "config.json": 40, "model-00001-of-00002.safetensors": 70_000, "model-00002-of-00002.safetensors": 9,
                "model.safetensors.index.json": 120, "tokenizer.json": 30, "README.md": 12,
            ]
            for (name, size) in files {
                let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ name.count) }
                try Data(bytes).write(to: URL(fileURLWithPath: root + "/plain/" + name))
            }
        }

        deinit { try? FileManager.default.removeItem(atPath: root) }

        func seal(_ name: String, signed: Bool) throws -> String {
            var options = SealOptions()
            options.chunkLog2 = 16
            _ = try FolderSealer.seal(
                folder: root + "/plain", to: root + "/" + name, recipients: [key], options: options,
                signer: signed ? (vendor, vendor.verifyingKey.defaultAlgorithm) : nil)
            return root + "/" + name
        }

        func opener(trusting: Bool) -> ModelOpener {
            var opener = ModelOpener(identities: [key])
            if trusting { opener.trustedKeys = [vendor.verifyingKey] }
            return opener
        }
    }

    @Test func sealsWeightsAndConfigAndKeepsTheRestInClear() throws {
        let fixture = try Fixture()
        let sealed = try fixture.seal("sealed", signed: true)
        let names = try Directory.entries(sealed)
        #expect(
            names == [
                "README.md", "config.json.mseal", "model-00001-of-00002.safetensors.mseal",
                "model-00002-of-00002.safetensors.mseal", "model.safetensors.index.json.mseal",
                "modelseal-folder.mseal", "tokenizer.json",
            ])
        let folder = try SealedFolder(path: sealed, opener: fixture.opener(trusting: true))
        #expect(folder.signers.count == 1)
        let plain = try SmallFile.read(fixture.root + "/plain/model-00001-of-00002.safetensors", limit: 1 << 20)
        let prepared = try folder.prepare("model-00001-of-00002.safetensors")
        try prepared.checkLastChunk()
        var middle = [UInt8](repeating: 0, count: 1000)
        try middle.withUnsafeMutableBytes { try prepared.read(at: 65_000, into: $0) }
        #expect(middle == Array(plain[65_000..<66_000]))
        #expect(try folder.clearBytes(named: "tokenizer.json").count == 30)
        try folder.verifyMembers()
        try folder.open(into: fixture.root + "/opened")
        #expect(try SmallFile.read(fixture.root + "/opened/model-00001-of-00002.safetensors", limit: 1 << 20) == plain)
    }

    @Test func refusesMissingExtraAndSwappedFiles() throws {
        let fixture = try Fixture()
        let sealed = try fixture.seal("sealed", signed: false)
        let again = try fixture.seal("again", signed: false)
        let shard = "/model-00002-of-00002.safetensors.mseal"
        let manager = FileManager.default
        try manager.moveItem(atPath: sealed + shard, toPath: fixture.root + "/kept")
        #expect(throws: BundleError.self) { try SealedFolder(path: sealed, opener: fixture.opener(trusting: false)) }
        try manager.copyItem(atPath: again + shard, toPath: sealed + shard)
        #expect(throws: BundleError.self) { try SealedFolder(path: sealed, opener: fixture.opener(trusting: false)) }
        try manager.removeItem(atPath: sealed + shard)
        try manager.moveItem(atPath: fixture.root + "/kept", toPath: sealed + shard)
        _ = try SealedFolder(path: sealed, opener: fixture.opener(trusting: false))
        try Data("x".utf8).write(to: URL(fileURLWithPath: sealed + "/extra.txt"))
        #expect(throws: BundleError.self) { try SealedFolder(path: sealed, opener: fixture.opener(trusting: false)) }
    }

    @Test func anUnsignedFolderIsRefusedUnderTrust() throws {
        let fixture = try Fixture()
        let sealed = try fixture.seal("sealed", signed: false)
        #expect(throws: SigningError.self) { try SealedFolder(path: sealed, opener: fixture.opener(trusting: true)) }
    }

    @Test func theOutputAppearsOnlyWhenComplete() throws {
        let fixture = try Fixture()
        try Data().write(to: URL(fileURLWithPath: fixture.root + "/plain/.hidden"))
        try FileManager.default.createDirectory(
            atPath: fixture.root + "/plain/sub", withIntermediateDirectories: false)
        #expect(throws: BundleError.self) { _ = try fixture.seal("sealed", signed: false) }
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/sealed"))
        try FileManager.default.removeItem(atPath: fixture.root + "/plain/sub")
        _ = try fixture.seal("sealed", signed: false)
        #expect(throws: BundleError.self) { _ = try fixture.seal("sealed", signed: false) }
    }
}
