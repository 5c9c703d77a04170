import Crypto
import ModelSealCore
import Testing

@testable import ModelSealServer

/// The master key's wrapped-secret formats (docs/SERVER.md §Master key on a token). Token keys themselves are
/// tested against a real SoftHSM2 token in python/tests/test_server_pkcs11.py.
@Suite struct MasterKeyTests {
    static let key = SymmetricKey(data: [UInt8](repeating: 7, count: 32))

    /// A blob in the format databases made before token keys hold: swift-crypto's combined AES-GCM with the
    /// label as associated data, written here from the spec with a fixed nonce.
    func specifiedFileBlob(_ secret: [UInt8], label: String) throws -> [UInt8] {
        let nonce = try AES.GCM.Nonce(data: [UInt8](repeating: 3, count: 12))
        let box = try AES.GCM.seal(
            secret, using: Self.key, nonce: nonce, authenticating: Array(("modelseal/v1 server " + label).utf8))
        return try #require(box.combined.map { Array($0) })
    }

    @Test func aFileKeyOpensTheFormatExistingDatabasesHold() throws {
        let secret = [UInt8](repeating: 5, count: 32)
        let blob = try specifiedFileBlob(secret, label: "file-key abc")
        #expect(blob.count == 12 + 32 + 16)
        let master = MasterKey.file(Self.key)
        #expect(try master.unwrap(blob, label: "file-key abc") == secret)
        #expect(throws: StoreError.self) { try master.unwrap(blob, label: "file-key abd") }
        let wrapped = try master.wrap(secret, label: "signing_key")
        #expect(wrapped.count == 60 && !wrapped.starts(with: MasterKey.tokenPrefix))
        #expect(try master.unwrap(wrapped, label: "signing_key") == secret)
    }

    @Test func aFileKeySaysWhenTheDatabaseIsWrappedByAToken() throws {
        let tokenBlob = MasterKey.tokenPrefix + [UInt8](repeating: 1, count: 12 + 32 + 16)
        let error = try #require(throws: StoreError.self) {
            try MasterKey.file(Self.key).unwrap(tokenBlob, label: "signing_key")
        }
        #expect("\(error)".contains("wrapped by a master key on a PKCS#11 token"))
        let other = try #require(throws: StoreError.self) {
            try MasterKey.file(SymmetricKey(size: .bits256)).unwrap(
                try specifiedFileBlob([1], label: "intake_key"), label: "intake_key")
        }
        #expect("\(other)".contains("does not open with this master key"))
    }

    @Test func sameKeyIsToldByAProbe() {
        let one = MasterKey.file(Self.key)
        #expect(one.isSameKey(as: .file(SymmetricKey(data: [UInt8](repeating: 7, count: 32)))))
        #expect(!one.isSameKey(as: .file(SymmetricKey(size: .bits256))))
    }
}
