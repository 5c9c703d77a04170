import ModelSealCrypto
import ModelSealFormat
import ModelSealLicensing
import ModelSealSigning

/// What every surface does to open a sealed file: unlock, check signatures, decrypt, in the order
/// that releases no plaintext of a file that fails any check (FORMAT.md §5, §8.3).
public struct ModelOpener {
    /// Keys to try.
    public var identities: [Identity]
    /// When non-empty, a signature by one of these keys is required.
    public var trustedKeys: [VerifyingKey] = []
    /// A detached signature (trailer bytes) for a file without its own trailer.
    public var detachedSignature: [UInt8]? = nil
    /// A license: when set, its guards and checks run before any key is unwrapped, and it is the
    /// only key tried (`identities` are ignored).
    public var license: LicenseGate? = nil
    /// Called with plaintext bytes processed so far.
    public var progress: (@Sendable (Int) -> Void)? = nil

    /// An opener trying `identities`.
    public init(identities: [Identity]) { self.identities = identities }

    /// The outcome of a successful open.
    public struct Result: Sendable {
        /// The file as parsed.
        public let file: SealedFile
        /// Plaintext bytes released.
        public let plaintextLength: Int
        /// Signatures that verified (empty for an unsigned file opened without trust keys).
        public let signers: [VerifiedSigner]
        /// The sealed metadata.
        public let metadata: [String: String]
        /// Runtime-guard findings the license policy says to report (empty without a license).
        public var licenseWarnings: [GuardFinding] = []
    }

    /// Opens `source` into `sink`.
    ///
    /// - Parameter sinkReleasesImmediately: true for a pipe, terminal or caller-visible buffer: every
    ///   chunk (and every signature) is then verified in a first pass and nothing is written before
    ///   all of it passed. False for a sink whose bytes become visible only on commit (an unnamed
    ///   temporary file): one pass, and the caller discards the sink when this throws.
    public func open(
        _ source: RandomAccessByteSource, to sink: ByteSink, sinkReleasesImmediately: Bool
    ) throws -> Result {
        let file = try SealedFile(source)
        let authorization = try license?.authorize(file)
        let unlocked = try unlock(file, authorization: authorization)
        let metadata = try unlocked.metadata().entries
        let trailer = try signatureTrailer(of: file)
        let required = try file.requiredSignerKeyIDs()
        // Signatures over the trailer's leaf list are checked before any chunk is read: a wrong or
        // untrusted signer fails at once; the chunks are compared with the list as they are decrypted.
        let signers = try FileSignatures.verify(
            file, trailer: trailer, leafHashes: nil, trustedKeys: trustedKeys, requiredKeyIDs: required)
        // A load is counted once the header authenticated and the signatures held, before any plaintext.
        try authorization?.recordLoad()
        let hashing = trailer != nil
        if sinkReleasesImmediately {
            try check(try unlocked.verify(hashing: hashing), against: trailer)
            try unlocked.decrypt(to: sink, progress: progress)
        } else {
            try check(try unlocked.decrypt(to: sink, hashing: hashing, progress: progress), against: trailer)
        }
        var result = Result(file: file, plaintextLength: unlocked.plaintextLength, signers: signers, metadata: metadata)
        result.licenseWarnings = authorization?.warnings ?? []
        return result
    }

    private func unlock(_ file: SealedFile, authorization: LicenseAuthorization?) throws -> UnlockedFile {
        guard let authorization else { return try file.unlock(with: identities) }
        do {
            return try file.unlock(with: [authorization.identity])
        } catch SealError.noMatchingIdentity {
            throw authorization.wrongModel
        }
    }

    /// The file's own trailer, or the detached signature parsed for this file's layout.
    public func signatureTrailer(of file: SealedFile) throws -> SignatureTrailer? {
        guard let detachedSignature else { return file.trailer }
        if file.trailer != nil {
            throw SigningError.malformedSignature("the file carries its own signature: drop --signature")
        }
        do {
            return try SignatureTrailer.parse(detachedSignature, chunkCount: file.layout.chunkCount)
        } catch {
            throw SigningError.malformedSignature("the detached signature does not fit this file: \(error)")
        }
    }

    private func check(_ leaves: [[UInt8]], against trailer: SignatureTrailer?) throws {
        guard let trailer else { return }
        if let index = leaves.indices.first(where: { leaves[$0] != trailer.leafHashes[$0] }) {
            throw SigningError.invalidSignature("chunk \(index) differs from what was signed: the file was altered after signing")
        }
    }
}
