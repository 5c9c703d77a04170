import ModelSealCore
import ModelSealSigning

/// A license file: the license document and the vendor's signature over its canonical bytes.
///
/// File layout (canonical JSON, spec/LICENSING.md §3):
/// `{"license":{...},"signature":{"algorithm":"ed25519","public_key":"<SPKI DER, base64>","value":"<base64>"}}`.
/// The signed statement is `"modelseal/v1 license" || 0x00 || canonical bytes of the license object`.
public struct SignedLicense: Sendable {
    static let statementLabel = Array("modelseal/v1 license".utf8) + [0]

    /// The license (its signature verified against `signer` when this value was made).
    public let license: License
    /// The key that signed it.
    public let signer: VerifyingKey
    /// The signature algorithm.
    public let algorithm: SignatureAlgorithm
    /// The file's bytes: the canonical JSON and one line feed.
    public let encoded: [UInt8]

    /// Signs `license` with `key`.
    public static func sign(_ license: License, with key: SigningKey, algorithm: SignatureAlgorithm)
        throws(SigningError) -> SignedLicense
    {
        let body = license.json
        let signature = try key.signature(for: statementLabel + body.canonicalBytes, algorithm: algorithm)
        let file = JSONValue.object([
            "license": body,
            "signature": .object([
                "algorithm": .string(algorithm.description),
                "public_key": .string(Codec.base64(key.verifyingKey.spkiDER)),
                "value": .string(Codec.base64(signature)),
            ]),
        ])
        return SignedLicense(
            license: license, signer: key.verifyingKey, algorithm: algorithm, encoded: file.canonicalBytes + [0x0A])
    }

    private init(license: License, signer: VerifyingKey, algorithm: SignatureAlgorithm, encoded: [UInt8]) {
        self.license = license
        self.signer = signer
        self.algorithm = algorithm
        self.encoded = encoded
    }

    /// Parses a license file and verifies its signature with the key it carries.
    ///
    /// Who that key must be is decided by the caller (the machine's request names the vendor).
    public init(encoded bytes: [UInt8]) throws(LicenseError) {
        let what = "license file"
        let document = bytes.last == 0x0A ? Array(bytes.dropLast()) : bytes
        var fields = try JSONFields(try JSONValue.parseCanonical(document, what: what), what: what)
        let body = try fields.required("license")
        var signature = try fields.object("signature")
        guard let algorithm = SignatureAlgorithm(name: try signature.string("algorithm", maxLength: 32)) else {
            throw .malformed(what, "unknown signature algorithm")
        }
        let keyDER = try signature.base64("public_key")
        let value = try signature.base64("value")
        try signature.finish()
        try fields.finish()
        let signer: VerifyingKey
        do {
            signer = try VerifyingKey(spkiDER: keyDER)
        } catch {
            throw .malformed(what, "signer key: \(error)")
        }
        guard signer.supports(algorithm),
            signer.isValidSignature(value, for: Self.statementLabel + body.canonicalBytes, algorithm: algorithm)
        else {
            throw .tamperedLicense("the vendor signature does not verify (the license was edited after signing)")
        }
        self.license = try License(json: body)
        self.signer = signer
        self.algorithm = algorithm
        self.encoded = bytes
    }
}
