import ModelSealBundle
import ModelSealCore
import Testing

@Suite("Sealed folder set manifest (spec/FOLDERS.md §1)")
struct FolderManifestTests {
    static let digest = [UInt8](repeating: 0xAB, count: 32)

    static func sample() throws -> FolderManifest {
        try FolderManifest(members: [
            .init(name: "tokenizer.json", binding: .clear(length: 5, sha256: digest)),
            .init(
                name: "model-00001-of-00002.safetensors",
                binding: .sealed(length: 1000, plaintextLength: 900, headerSHA256: digest, chunksRoot: digest)),
            .init(
                name: "config.json",
                binding: .sealed(length: 300, plaintextLength: 200, headerSHA256: digest, chunksRoot: nil)),
        ])
    }

    @Test func roundTripsCanonically() throws {
        let manifest = try Self.sample()
        let bytes = manifest.encoded()
        #expect(try FolderManifest.parse(bytes) == manifest)
        #expect(manifest.members.map(\.name) == ["config.json", "model-00001-of-00002.safetensors", "tokenizer.json"])
        #expect(
            manifest.fileNames == [
                "modelseal-folder.mseal", "config.json.mseal", "model-00001-of-00002.safetensors.mseal",
                "tokenizer.json",
            ])
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("{\"files\":[{\"header_sha256\":"))
        #expect(text.hasSuffix("],\"format\":\"modelseal-folder\",\"version\":1}"))
    }

    static let refused: [String] = [
        "", "{}", "[]",
        #"{"files":[],"format":"modelseal-folder","version":2}"#,
        #"{"files":[],"format":"other","version":1}"#,
        #"{"files":[],"format":"modelseal-folder","version":1,"x":1}"#,
        #"{"format":"modelseal-folder","files":[],"version":1}"#,  // not canonical (member order)
        #"{"files":[{"length":1,"name":"a/b","sealed":false,"sha256":"\#(String(repeating: "a", count: 64))"}],"format":"modelseal-folder","version":1}"#,
        #"{"files":[{"length":1,"name":"../x","sealed":false,"sha256":"\#(String(repeating: "a", count: 64))"}],"format":"modelseal-folder","version":1}"#,
        #"{"files":[{"length":1,"name":"x.mseal","sealed":false,"sha256":"\#(String(repeating: "a", count: 64))"}],"format":"modelseal-folder","version":1}"#,
        #"{"files":[{"length":1,"name":"x","sealed":false,"sha256":"\#(String(repeating: "A", count: 64))"}],"format":"modelseal-folder","version":1}"#,
        #"{"files":[{"length":-1,"name":"x","sealed":false,"sha256":"\#(String(repeating: "a", count: 64))"}],"format":"modelseal-folder","version":1}"#,
        #"{"files":[{"length":1,"name":"x","sealed":false,"sha256":"\#(String(repeating: "a", count: 64))"},{"length":1,"name":"X","sealed":false,"sha256":"\#(String(repeating: "a", count: 64))"}],"format":"modelseal-folder","version":1}"#,
        #"{"files":[{"length":1,"name":"b","sealed":false,"sha256":"\#(String(repeating: "a", count: 64))"},{"length":1,"name":"a","sealed":false,"sha256":"\#(String(repeating: "a", count: 64))"}],"format":"modelseal-folder","version":1}"#,
        #"{"files":[{"header_sha256":"\#(String(repeating: "a", count: 64))","length":1,"name":"a","sealed":true}],"format":"modelseal-folder","version":1}"#,
    ]

    @Test(arguments: refused)
    func refusesWhatBreaksTheRules(text: String) {
        #expect(throws: BundleError.self) { try FolderManifest.parse(Array(text.utf8)) }
    }
}
