import ContainerFormat
import Crypto
import ModelSealCore
import ModelSealSigning

/// The signature block after the manifest (spec/BUNDLE.md §4).
///
/// ```
/// signatures = count(1, 0..16) || per signature: algorithm(1) || key_length(2, 1..2048) || key (SPKI DER)
///                                                || signature_length(2, 1..1024) || signature
/// message    = "modelseal/v1 bundle-manifest" || 0x00 || algorithm(1) || SHA-256(manifest)
/// ```
public struct BundleSignature: Sendable, Equatable {
    public let algorithm: UInt8
    public let publicKey: [UInt8]
    public let signature: [UInt8]

    public static let maximumKeyLength = SignatureTrailer.maximumKeyLength
    public static let maximumSignatureLength = SignatureTrailer.maximumSignatureLength

    /// The same record a sealed file's trailer carries (`SignatureTrailer.Entry`).
    var entry: SignatureTrailer.Entry { .init(algorithm: algorithm, publicKey: publicKey, signature: signature) }

    /// The message an `algorithm` signature covers for `manifest`.
    public static func message(algorithm: UInt8, manifest: [UInt8]) -> [UInt8] {
        BundleFormat.signatureLabel + [algorithm] + Array(SHA256.hash(data: manifest))
    }

    /// A signature by `key` over `manifest`.
    public static func sign(manifest: [UInt8], key: SigningKey, algorithm: SignatureAlgorithm) throws(SigningError)
        -> BundleSignature
    {
        BundleSignature(
            algorithm: algorithm.rawValue, publicKey: key.verifyingKey.spkiDER,
            signature: try key.signature(
                for: message(algorithm: algorithm.rawValue, manifest: manifest), algorithm: algorithm))
    }

    /// The encoded block.
    public static func encode(_ signatures: [BundleSignature]) -> [UInt8] {
        var writer = ByteWriter()
        writer.writeUInt8(UInt8(signatures.count))
        for signature in signatures { signature.entry.write(to: &writer) }
        return writer.bytes
    }

    /// Parses a block that must be consumed exactly; `base` is its file offset (for errors).
    public static func parse(_ bytes: [UInt8], base: Int) throws(BundleError) -> [BundleSignature] {
        var reader = ByteReader(bytes)
        func fail(_ reason: String) -> BundleError { .malformed(offset: base + reader.offset, reason: reason) }
        guard let count = reader.readUInt8() else { throw fail("empty signature block") }
        guard Int(count) <= BundleFormat.maximumSignatures else {
            throw fail("more than \(BundleFormat.maximumSignatures) signatures")
        }
        var result: [BundleSignature] = []
        for _ in 0..<count {
            guard let entry = SignatureTrailer.Entry.read(from: &reader) else {
                throw fail("signature truncated, or a length out of range or past the block")
            }
            result.append(
                BundleSignature(algorithm: entry.algorithm, publicKey: entry.publicKey, signature: entry.signature))
        }
        guard reader.isAtEnd else { throw fail("\(reader.remaining) bytes after the last signature") }
        return result
    }

    /// Checks every signature over `manifest` (all must verify), and, when `trustedKeys` is not
    /// empty, that one is by a trusted key: the rules of spec/SIGNATURES.md §3 steps 2 and 4.
    public static func verify(
        _ signatures: [BundleSignature], manifest: [UInt8], trustedKeys: [VerifyingKey]
    ) throws(SigningError) -> [BundleSigner] {
        if signatures.isEmpty {
            guard trustedKeys.isEmpty else {
                throw .unsigned("the bundle carries no signature, and --trust requires one")
            }
            return []
        }
        let trustedIDs = Set(trustedKeys.map(\.keyID))
        var signers: [BundleSigner] = []
        for (index, entry) in signatures.enumerated() {
            guard let algorithm = SignatureAlgorithm(rawValue: entry.algorithm) else {
                throw .malformedSignature("bundle signature \(index): unknown algorithm \(entry.algorithm)")
            }
            let key: VerifyingKey
            do {
                key = try VerifyingKey(spkiDER: entry.publicKey)
            } catch {
                throw .malformedSignature("bundle signature \(index): unreadable key (\(error))")
            }
            guard key.supports(algorithm),
                key.isValidSignature(
                    entry.signature, for: message(algorithm: entry.algorithm, manifest: manifest), algorithm: algorithm)
            else {
                throw .invalidSignature(
                    "the bundle manifest was altered after signing (signature by \(key.fingerprint) does not verify)")
            }
            signers.append(BundleSigner(key: key, algorithm: algorithm, trusted: trustedIDs.contains(key.keyID)))
        }
        if !trustedKeys.isEmpty, !signers.contains(where: \.trusted) {
            throw .untrustedSigner(fingerprints: signers.map(\.key.fingerprint))
        }
        return signers
    }
}

/// A bundle signature that verified.
public struct BundleSigner: Sendable {
    /// The signer's key.
    public let key: VerifyingKey
    /// The algorithm it signed with.
    public let algorithm: SignatureAlgorithm
    /// True when the key is one of the caller's trust keys.
    public let trusted: Bool
}
