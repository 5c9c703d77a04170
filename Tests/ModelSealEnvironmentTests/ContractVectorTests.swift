import Foundation
import Testing

@testable import ModelSealEnvironment

/// Runs every body of `Tests/Vectors/environment/` (spec/ENVIRONMENT.md §1): written by
/// `scripts/gen-env-vectors.py` from the spec alone; `scripts/gen-env-vectors.sh --check` keeps them in sync.
@Suite("Environment contract vectors")
struct ContractVectorTests {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Vectors/environment")

    static let names: [String] =
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
        .filter { $0.hasSuffix(".contract") }.map { String($0.dropLast(".contract".count)) }.sorted()

    @Test("the vectors are there, one per policy byte and refusals")
    func present() {
        #expect(Set(["exact", "compatible", "warn", "pinned", "unknown-policy-5"]).isSubset(of: Set(Self.names)))
    }

    @Test("each body parses to its policy and keys, or is refused", arguments: names)
    func vector(name: String) throws {
        let body = [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent(name + ".contract")))
        let expected =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: Self.folder.appendingPathComponent(name + ".expected.json")))
            as? [String: Any] ?? [:]
        if expected["error"] != nil {
            #expect(throws: EnvironmentError.self) { try EnvironmentContract.parse(body) }
            return
        }
        let contract = try EnvironmentContract.parse(body)
        #expect(contract.policy.description == expected["policy"] as? String)
        #expect(contract.compatibleKeys == expected["compatible_keys"] as? [String])
        // The Swift encoder writes the same bytes as the spec's generator.
        #expect(contract.encoded() == body)
    }
}
