import Crypto
import ModelSealSigning
import SwiftASN1

/// The curves of the keys ModelSeal signs with on a token, read from CKA_EC_PARAMS.
enum TokenCurve: Sendable {
    case ed25519, p256, p384, p521

    /// DER of the named-curve OIDs (and RFC 8410's id-Ed25519), and the printable-string form PKCS#11 3.0
    /// also allows for Edwards curves ("edwards25519").
    private static let known: [([UInt8], TokenCurve)] = [
        ([0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07], .p256),
        ([0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22], .p384),
        ([0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x23], .p521),
        ([0x06, 0x03, 0x2B, 0x65, 0x70], .ed25519),
        ([0x13, 0x0C] + Array("edwards25519".utf8), .ed25519),
    ]

    /// The curve named by CKA_EC_PARAMS.
    init(ecParameters: [UInt8]) throws(PKCS11Error) {
        guard let match = Self.known.first(where: { $0.0 == ecParameters }) else {
            throw .unsupportedKey("the key's curve is not Ed25519, P-256, P-384 or P-521 (CKA_EC_PARAMS)")
        }
        self = match.1
    }

    /// The public key from CKA_EC_POINT: a DER OCTET STRING around the point (PKCS#11 §2.3.3), or, as some
    /// modules return it, the bare point.
    func publicKey(ecPoint: [UInt8]) throws(PKCS11Error) -> VerifyingKey {
        var point = ecPoint
        if let octets = try? ASN1OctetString(derEncoded: ecPoint) { point = Array(octets.bytes) }
        do {
            switch self {
            case .ed25519: return .ed25519(try Curve25519.Signing.PublicKey(rawRepresentation: point))
            case .p256: return .p256(try P256.Signing.PublicKey(x963Representation: point))
            case .p384: return .p384(try P384.Signing.PublicKey(x963Representation: point))
            case .p521: return .p521(try P521.Signing.PublicKey(x963Representation: point))
            }
        } catch {
            throw .unsupportedKey("the token's public key (CKA_EC_POINT) is not a valid \(self) point")
        }
    }

    /// What the token signs for `message`: the message itself (pure Ed25519), else its hash under the
    /// algorithm's hash (raw CKM_ECDSA signs a digest the host computed).
    func tokenInput(for message: [UInt8]) -> [UInt8] {
        switch self {
        case .ed25519: message
        case .p256: Array(SHA256.hash(data: message))
        case .p384: Array(SHA384.hash(data: message))
        case .p521: Array(SHA512.hash(data: message))
        }
    }

    /// The signature in ModelSeal's encoding (spec/SIGNATURES.md §2): Ed25519 as is, ECDSA's r‖s as DER.
    func encodedSignature(_ raw: [UInt8]) throws(PKCS11Error) -> [UInt8] {
        do {
            switch self {
            case .ed25519: return raw
            case .p256: return Array(try P256.Signing.ECDSASignature(rawRepresentation: raw).derRepresentation)
            case .p384: return Array(try P384.Signing.ECDSASignature(rawRepresentation: raw).derRepresentation)
            case .p521: return Array(try P521.Signing.ECDSASignature(rawRepresentation: raw).derRepresentation)
            }
        } catch {
            throw .unsupportedKey("the token returned a \(raw.count)-byte signature, not an r‖s pair for \(self)")
        }
    }

    var mechanism: UInt { self == .ed25519 ? PKCS11Constants.mechanismEdDSA : PKCS11Constants.mechanismECDSA }
}
