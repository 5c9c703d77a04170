import Foundation
import ModelSealBundle
import Testing

/// Every file of `Tests/Vectors/folder/` (made by `scripts/gen-folder-vectors.py` from spec/FOLDERS.md alone):
/// `ok-*` parse and re-encode to their exact bytes, `bad-*` are refused.
@Suite("Folder manifest vectors")
struct FolderManifestVectorTests {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Vectors/folder")

    static let names: [String] =
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".json") }
        .sorted()

    @Test func folderIsNotEmpty() {
        #expect(Self.names.count >= 15, "no folder vectors in \(Self.folder.path)")
    }

    @Test(arguments: names)
    func vector(_ name: String) throws {
        let bytes = Array(try Data(contentsOf: Self.folder.appendingPathComponent(name)))
        if name.hasPrefix("ok-") {
            #expect(try FolderManifest.parse(bytes).encoded() == bytes)
        } else {
            #expect(throws: BundleError.self) { try FolderManifest.parse(bytes) }
        }
    }
}
