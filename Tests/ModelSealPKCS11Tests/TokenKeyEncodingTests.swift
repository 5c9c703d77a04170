import Crypto
import ModelSealSigning
import Testing

@testable import ModelSealPKCS11

@Suite("Token key encodings: CKA_EC_PARAMS, CKA_EC_POINT, r‖s")
struct TokenKeyEncodingTests {
    @Test("a P-256 point is read wrapped in a DER OCTET STRING and bare")
    func p256Point() throws {
        let key = P256.Signing.PrivateKey()
        let point = Array(key.publicKey.x963Representation)
        let curve = try TokenCurve(ecParameters: [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07])
        for encoded in [[0x04, UInt8(point.count)] + point, point] {
            let parsed = try curve.publicKey(ecPoint: encoded)
            #expect(parsed.spkiDER == VerifyingKey.p256(key.publicKey).spkiDER)
        }
    }

    @Test("an Ed25519 point named by OID or by printable string")
    func ed25519Point() throws {
        let key = Curve25519.Signing.PrivateKey()
        let raw = Array(key.publicKey.rawRepresentation)
        for parameters in [[0x06, 0x03, 0x2B, 0x65, 0x70], [0x13, 0x0C] + Array("edwards25519".utf8)] {
            let parsed = try TokenCurve(ecParameters: parameters).publicKey(ecPoint: [0x04, 0x20] + raw)
            #expect(parsed.spkiDER == VerifyingKey.ed25519(key.publicKey).spkiDER)
        }
    }

    @Test("r‖s from the token becomes a DER signature that verifies over the host-side hash")
    func rawToDER() throws {
        let key = P384.Signing.PrivateKey()
        let message = Array("modelseal".utf8)
        let curve = TokenCurve.p384
        #expect(curve.tokenInput(for: message) == Array(SHA384.hash(data: message)))
        let raw = Array(try key.signature(for: message).rawRepresentation)
        let der = try curve.encodedSignature(raw)
        #expect(VerifyingKey.p384(key.publicKey).isValidSignature(der, for: message, algorithm: .ecdsaP384SHA384))
        #expect(throws: PKCS11Error.self) { try curve.encodedSignature(Array(raw.dropLast())) }
    }

    @Test("unknown curves and points off the curve are refused")
    func refused() {
        #expect(throws: PKCS11Error.self) { try TokenCurve(ecParameters: [0x06, 0x03, 0x2B, 0x65, 0x71]) }
        #expect(throws: PKCS11Error.self) {
            try TokenCurve.p256.publicKey(ecPoint: [0x04, 0x41, 0x04] + [UInt8](repeating: 1, count: 64))
        }
    }
}
