import ContainerEngine
import ContainerFormat
import Crypto
import ModelSealCore

/// A signature that verified.
public struct VerifiedSigner: Sendable {
    /// The signer's key.
    public let key: VerifyingKey
    /// The algorithm it signed with.
    public let algorithm: SignatureAlgorithm
    /// True when the key is one of the caller's trust keys.
    public let trusted: Bool
}

/// Signing and verifying sealed files (spec/SIGNATURES.md).
public enum FileSignatures {
    /// The statement an `algorithm` signature covers for `file`, given its leaf hashes.
    static func statement(
        algorithm: SignatureAlgorithm, headerBytes: [UInt8], payloadLength: Int, leafHashes: [[UInt8]]
    ) -> [UInt8] {
        SignedStatement.bytes(
            algorithm: algorithm.rawValue, headerHash: Array(SHA256.hash(data: headerBytes)),
            payloadLength: payloadLength, chunkCount: leafHashes.count, merkleRoot: Merkle.root(leafHashes))
    }

    /// A signature entry by `key` over a file with this header, payload length and leaves.
    public static func entry(
        key: SigningKey, algorithm: SignatureAlgorithm? = nil, headerBytes: [UInt8], payloadLength: Int,
        leafHashes: [[UInt8]]
    ) throws(SigningError) -> SignatureTrailer.Entry {
        let algorithm = algorithm ?? key.verifyingKey.defaultAlgorithm
        let message = statement(
            algorithm: algorithm, headerBytes: headerBytes, payloadLength: payloadLength, leafHashes: leafHashes)
        return SignatureTrailer.Entry(
            algorithm: algorithm.rawValue, publicKey: key.verifyingKey.spkiDER,
            signature: try key.signature(for: message, algorithm: algorithm))
    }

    /// The trailer after adding a signature by `key` to `file` (whose chunks hash to `leafHashes`).
    ///
    /// Existing signatures are verified first: a trailer that no longer matches the file is not extended.
    public static func signing(
        _ file: SealedFile, leafHashes: [[UInt8]], key: SigningKey, algorithm: SignatureAlgorithm? = nil
    ) throws(SigningError) -> SignatureTrailer {
        var trailer = SignatureTrailer(leafHashes: leafHashes, entries: [])
        if let existing = file.trailer {
            _ = try verify(file, trailer: existing, leafHashes: leafHashes, trustedKeys: [], requiredKeyIDs: [])
            trailer = existing
        }
        let entry = try entry(
            key: key, algorithm: algorithm, headerBytes: file.headerBytes, payloadLength: file.layout.payloadLength,
            leafHashes: leafHashes)
        if trailer.entries.contains(where: { $0.publicKey == entry.publicKey && $0.algorithm == entry.algorithm }) {
            throw .unsuitableKey(
                "the file is already signed by \(key.verifyingKey.fingerprint) with \(algorithm ?? key.verifyingKey.defaultAlgorithm)"
            )
        }
        guard trailer.entries.count < SignatureTrailer.maximumSignatures else {
            throw .malformedSignature("the file already carries \(SignatureTrailer.maximumSignatures) signatures")
        }
        trailer.entries.append(entry)
        return trailer
    }

    /// Checks a file's signatures (spec/SIGNATURES.md §3, steps 1–4) and returns the valid signers.
    ///
    /// - Parameters:
    ///   - trailer: the file's own trailer, or a detached one; `nil` when the file is unsigned.
    ///   - leafHashes: hashes of the chunks as read, or `nil` to trust the trailer's list (only when
    ///     the caller checks each chunk it reads against it).
    ///   - trustedKeys: when non-empty, at least one valid signature must be by one of them.
    ///   - requiredKeyIDs: the header's signature-required list (only meaningful once the MAC verified).
    public static func verify(
        _ file: SealedFile, trailer: SignatureTrailer?, leafHashes: [[UInt8]]?, trustedKeys: [VerifyingKey],
        requiredKeyIDs: [[UInt8]]
    ) throws(SigningError) -> [VerifiedSigner] {
        guard let trailer else {
            if let required = requiredKeyIDs.first {
                throw .unsigned(
                    "the file requires a signature by \(fingerprint(keyID: required)) and carries none: its signature "
                        + "was removed, or give the detached signature with --signature")
            }
            if !trustedKeys.isEmpty {
                throw .unsigned(
                    "the file carries no signature and --trust requires one (a detached one: --signature FILE)")
            }
            return []
        }
        guard trailer.leafHashes.count == file.layout.chunkCount else {
            throw .invalidSignature(
                "the signature covers \(trailer.leafHashes.count) chunks, the file has \(file.layout.chunkCount)")
        }
        if let leafHashes {
            guard leafHashes.count == trailer.leafHashes.count else {
                throw .invalidSignature(
                    "the file has \(leafHashes.count) chunks, the signature covers \(trailer.leafHashes.count)")
            }
            if let index = leafHashes.indices.first(where: { leafHashes[$0] != trailer.leafHashes[$0] }) {
                throw .invalidSignature(
                    "chunk \(index) differs from what was signed: the file was altered after signing")
            }
        }
        let trustedIDs = Set(trustedKeys.map(\.keyID))
        let vouching = trustedIDs.union(requiredKeyIDs)
        var signers: [VerifiedSigner] = []
        // Entries that fail by keys nobody asked for: anyone can append one, so they fail the file only
        // when no trusted or required signer vouches for it (below).
        var rejected: [SigningError] = []
        for (index, entry) in trailer.entries.enumerated() {
            let key: VerifyingKey
            do {
                key = try VerifyingKey(spkiDER: entry.publicKey)
            } catch {
                rejected.append(.malformedSignature("signature \(index) carries an unusable key: \(error)"))
                continue
            }
            guard let algorithm = SignatureAlgorithm(rawValue: entry.algorithm) else {
                let error = SigningError.invalidSignature(
                    "signature \(index) uses unknown algorithm \(entry.algorithm); upgrade modelseal")
                if vouching.contains(key.keyID) { throw error }
                rejected.append(error)
                continue
            }
            let message = statement(
                algorithm: algorithm, headerBytes: file.headerBytes, payloadLength: file.layout.payloadLength,
                leafHashes: trailer.leafHashes)
            guard key.isValidSignature(entry.signature, for: message, algorithm: algorithm) else {
                let error = SigningError.invalidSignature(
                    "the \(algorithm) signature by \(key.fingerprint) does not verify: the file was altered after "
                        + "signing, or the signature belongs to another file")
                if vouching.contains(key.keyID) { throw error }
                rejected.append(error)
                continue
            }
            signers.append(VerifiedSigner(key: key, algorithm: algorithm, trusted: trustedIDs.contains(key.keyID)))
        }
        // Without trust keys or required signers, nothing vouches for the file: any bad entry fails it.
        if let first = rejected.first, vouching.isEmpty { throw first }
        let signedIDs = Set(signers.map(\.key.keyID))
        if let missing = requiredKeyIDs.first(where: { !signedIDs.contains($0) }) {
            throw rejected.first
                ?? .unsigned("the file requires a signature by \(fingerprint(keyID: missing)), which it does not carry")
        }
        if !trustedKeys.isEmpty && !signers.contains(where: \.trusted) {
            throw rejected.first ?? .untrustedSigner(fingerprints: signers.map(\.key.fingerprint))
        }
        return signers
    }

    /// The fingerprint text of a key id.
    public static func fingerprint(keyID: [UInt8]) -> String { "SHA256:" + Base64.encode(keyID, padded: false) }
}
