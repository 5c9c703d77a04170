import ContainerFormat
import ModelSealCore

/// A Sigstore bundle (v0.3, JSON) carrying one DSSE envelope, in the key-based form `model_signing` writes:
/// a public-key hint instead of a certificate, no transparency-log entries.
struct SigstoreBundle: Equatable {
    /// Hex SHA-256 of the signer's public key in PEM (see `VerifyingKey.omsKeyHint`); `nil` when absent or empty.
    var keyHint: String?
    /// The DSSE payload type.
    var payloadType: String
    /// The DSSE payload: the statement's JSON bytes.
    var payload: [UInt8]
    /// The one DSSE signature: DER ECDSA over `DSSEEnvelope.pae`.
    var signature: [UInt8]

    /// The bundle's JSON text, members in the order `model_signing` writes them.
    func encoded() -> [UInt8] {
        var key = JSONObject()
        if let keyHint { key["hint"] = .string(keyHint) }
        let json: JSONValue = .object([
            ("mediaType", .string(OMSFormat.bundleMediaType)),
            ("verificationMaterial", .object([("publicKey", .object(key)), ("tlogEntries", .array([]))])),
            (
                "dsseEnvelope",
                .object([
                    ("payload", .string(Base64.encode(payload))),
                    ("payloadType", .string(payloadType)),
                    (
                        "signatures",
                        .array([.object([("sig", .string(Base64.encode(signature))), ("keyid", .string(""))])])
                    ),
                ])
            ),
        ])
        return Array(JSONWriter.serialize(json).utf8)
    }

    init(keyHint: String?, payloadType: String, payload: [UInt8], signature: [UInt8]) {
        self.keyHint = keyHint
        self.payloadType = payloadType
        self.payload = payload
        self.signature = signature
    }

    /// Parses a bundle strictly: size cap, types, the v0.3 media type, key-based material, exactly one signature,
    /// canonical base64.
    init(decoding bytes: [UInt8]) throws(SigningError) {
        guard bytes.count <= OMSFormat.maximumBundleLength else {
            throw .malformedSignature("larger than \(OMSFormat.maximumBundleLength >> 20) MiB: not a model signature")
        }
        guard !bytes.isEmpty else { throw .malformedSignature("the signature file is empty") }
        let bundle = try JSONText.decode(Bundle.self, from: bytes, what: "Sigstore bundle")
        guard bundle.mediaType == OMSFormat.bundleMediaType else {
            throw .malformedSignature(
                "bundle media type is '\(bundle.mediaType)', expected '\(OMSFormat.bundleMediaType)' "
                    + "(a model_signing key-based signature)")
        }
        let material = bundle.verificationMaterial
        guard material.certificate == nil, material.x509CertificateChain == nil else {
            throw .malformedSignature(
                "this bundle is certificate-based (Sigstore or PKI mode); ModelSeal verifies key-based signatures only")
        }
        guard let publicKey = material.publicKey else {
            throw .malformedSignature("the bundle names no public key (verificationMaterial.publicKey)")
        }
        guard (material.tlogEntries ?? []).isEmpty else {
            throw .malformedSignature(
                "the bundle carries transparency-log entries, which key-based signatures do not have")
        }
        guard let envelope = bundle.dsseEnvelope else {
            throw .malformedSignature("the bundle holds no DSSE envelope (message signatures are not model signatures)")
        }
        guard envelope.signatures.count == 1, let entry = envelope.signatures.first else {
            throw .malformedSignature("the envelope has \(envelope.signatures.count) signatures, expected exactly 1")
        }
        guard let payload = Base64.decode(envelope.payload), !payload.isEmpty else {
            throw .malformedSignature("the envelope payload is not base64")
        }
        guard let signature = Base64.decode(entry.sig), !signature.isEmpty else {
            throw .malformedSignature("the envelope signature is not base64")
        }
        if let hint = publicKey.hint, !hint.isEmpty {
            guard hint.utf8.count == 64, Hex.decode(hint, acceptingUppercase: true) != nil else {
                throw .malformedSignature("the public key hint is not 64 hex digits")
            }
            keyHint = hint.lowercased()
        } else {
            keyHint = nil
        }
        payloadType = envelope.payloadType
        self.payload = payload
        self.signature = signature
    }

    private struct Bundle: Decodable {
        let mediaType: String
        let verificationMaterial: Material
        let dsseEnvelope: Envelope?
    }

    private struct Material: Decodable {
        let publicKey: PublicKey?
        let tlogEntries: [Ignored]?
        let certificate: Ignored?
        let x509CertificateChain: Ignored?
    }

    private struct PublicKey: Decodable {
        let hint: String?
    }

    private struct Envelope: Decodable {
        let payload: String
        let payloadType: String
        let signatures: [Signature]
    }

    private struct Signature: Decodable {
        let sig: String
        let keyid: String?
    }

    /// Any JSON value whose presence matters, not its content.
    private struct Ignored: Decodable {
        init(from decoder: any Decoder) throws {}
    }
}
