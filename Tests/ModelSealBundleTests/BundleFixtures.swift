import ContainerEngine
import ContainerFormat
import Crypto
import Foundation
import ModelSealCore
import ModelSealSigning

@testable import ModelSealBundle

/// Bundles built in tests, including ones no honest writer makes.
enum BundleFixtures {
    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "modelseal-bundle-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static let key: SigningKey = {
        do {
            return try SigningKey.generate(.ed25519)
        } catch {
            fatalError("cannot generate a test key: \(error)")
        }
    }()

    /// A bundle written by `BundleWriter` into `directory/name`.
    static func pack(
        _ inputs: [BundleWriter.Input], in directory: String, name: String = "acme.mspkg", signed: Bool = true
    ) throws -> String {
        let path = directory + "/" + name
        let sink = try OutputFile(.path(path), mode: 0o644, replace: true)
        try BundleWriter.write(inputs, to: sink, createdBy: "test", signers: signed ? [(key, .ed25519)] : [])
        try sink.commit()
        return path
    }

    static func members(_ count: Int = 3) -> [BundleWriter.Input] {
        (0..<count).map { index in
            BundleWriter.Input(
                name: index == 0 ? "README.txt" : "models/m\(index).mseal", role: index == 0 ? .readme : .model,
                source: .bytes((0..<(1000 * index + 7)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }))
        }
    }

    /// Raw bundle bytes from a manifest text (not validated), a signature block and member bytes.
    static func raw(manifest: String, signatures: [UInt8] = [0], members: [UInt8]) -> [UInt8] {
        let bytes = Array(manifest.utf8)
        return BundleFormat.magic + [1, 0, 0, 0] + BundleWriter.bigEndian(UInt32(bytes.count)) + bytes
            + BundleWriter.bigEndian(UInt32(signatures.count)) + signatures + members
    }

    /// A canonical manifest text for one member.
    static func manifest(name: String, size: Int, sha256: [UInt8], extra: String = "") -> String {
        #"{"created_by":"test","members":[{"name":"\#(name)","role":"other","sha256":"\#(Hex.encode(sha256))","size":\#(size)\#(extra)}],"schema":"modelseal-bundle/1"}"#
    }

    static func write(_ bytes: [UInt8], to path: String) {
        precondition(FileManager.default.createFile(atPath: path, contents: Data(bytes)), "cannot write \(path)")
    }

    static func read(_ path: String) -> [UInt8] {
        Array(FileManager.default.contents(atPath: path) ?? Data())
    }

    /// Everything under `directory`, relative, sorted.
    static func listing(_ directory: String) -> [String] {
        (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []).sorted()
    }
}
