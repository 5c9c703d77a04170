import Crypto
import ModelSealSigning
import Testing

func sha256(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }

@Suite("Signing key files")
struct KeyFileTests {
    @Test(arguments: [SignatureAlgorithm.ed25519, .ecdsaP256SHA256, .ecdsaP384SHA384, .ecdsaP521SHA512])
    func pemRoundTrips(algorithm: SignatureAlgorithm) throws {
        let key = try SigningKey.generate(algorithm)
        let loaded = try KeyFile.signingKey(pem: try KeyFile.pem(of: key))
        #expect(loaded.verifyingKey.keyID == key.verifyingKey.keyID)
        let publicKey = try KeyFile.verifyingKey(text: key.verifyingKey.pem)
        #expect(publicKey.keyID == key.verifyingKey.keyID)
        #expect(key.verifyingKey.fingerprint.hasPrefix("SHA256:"))
        #expect(key.verifyingKey.fingerprint.count == 50)
    }

    @Test func encryptedPKCS8RoundTripsAndNeedsThePassphrase() throws {
        let key = try SigningKey.generate(.ed25519)
        let pem = try KeyFile.pem(of: key, passphrase: "s3cret")
        #expect(pem.hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----"))
        #expect(try KeyFile.signingKey(pem: pem, passphrase: "s3cret").verifyingKey.keyID == key.verifyingKey.keyID)
        #expect(throws: SigningError.self) { try KeyFile.signingKey(pem: pem) }
        #expect(throws: SigningError.self) { try KeyFile.signingKey(pem: pem, passphrase: "wrong") }
    }

    @Test func trustFilesHoldSeveralKeys() throws {
        let first = try SigningKey.generate(.ed25519).verifyingKey
        let second = try SigningKey.generate(.ecdsaP256SHA256).verifyingKey
        let keys = try KeyFile.verifyingKeys(text: "# vendor keys\n" + first.pem + "\n" + second.pem)
        #expect(keys.map(\.keyID) == [first.keyID, second.keyID])
        #expect(throws: SigningError.self) { try KeyFile.verifyingKeys(text: "# nothing here\n") }
    }

    @Test(arguments: [
        "", "not a key", "-----BEGIN PUBLIC KEY-----\nAAAA\n",
        "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "ssh-ed25519 AAAA",
        "ssh-dss AAAAB3NzaC1kc3MAAA",
    ])
    func malformedKeysAreRefused(text: String) {
        #expect(throws: SigningError.self) { try KeyFile.verifyingKey(text: text) }
        #expect(throws: SigningError.self) { try KeyFile.signingKey(pem: text) }
    }

    @Test func publicKeysCannotSign() throws {
        let key = try SigningKey.generate(.ed25519)
        #expect(throws: SigningError.self) { try KeyFile.signingKey(pem: key.verifyingKey.pem) }
    }

    @Test func algorithmMustSuitTheKey() throws {
        let key = try SigningKey.generate(.ed25519)
        #expect(throws: SigningError.self) { try key.signature(for: [1, 2, 3], algorithm: .ecdsaP256SHA256) }
        #expect(
            !key.verifyingKey.isValidSignature(
                try key.signature(for: [1], algorithm: .ed25519), for: [1], algorithm: .rsaPSSSHA256))
    }
}
