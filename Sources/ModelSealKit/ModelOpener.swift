import ContainerEngine
import ContainerFormat
import ModelSealCore
import ModelSealLicensing
import ModelSealSigning

/// What every surface does to open a sealed file: unlock, check signatures, decrypt, in the order
/// that releases no plaintext of a file that fails any check (spec/CONTAINER.md §5, spec/SIGNATURES.md §3).
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

    /// A file that passed every check that needs no chunk: ready to decrypt.
    ///
    /// Holding one means the header authenticated, the license (if any) allowed this open and
    /// counted it, and every signature over the trailer's chunk list verified. Decrypting then
    /// compares each chunk's hash with that list; plaintext of a file that fails is never released.
    public struct Prepared: @unchecked Sendable {
        /// The file as parsed.
        public let file: SealedFile
        let unlocked: UnlockedFile
        let trailer: SignatureTrailer?
        /// Signatures that verified (empty for an unsigned file opened without trust keys).
        public let signers: [VerifiedSigner]
        /// The sealed metadata.
        public let metadata: [String: String]
        /// Runtime-guard findings the license policy says to report (empty without a license).
        public let licenseWarnings: [GuardFinding]
        /// Plaintext bytes.
        public var plaintextLength: Int { unlocked.plaintextLength }

        /// Decrypts into `sink`.
        ///
        /// - Parameter sinkReleasesImmediately: true for a pipe, terminal or caller-visible buffer: every
        ///   chunk (and its signed hash) is then verified in a first pass and nothing is written before
        ///   all of it passed; the second pass compares every chunk's hash with the first pass's before
        ///   writing its batch, so a file changed between the passes releases only verified bytes and
        ///   never its end (the stream stops short and this throws). False for a sink whose bytes
        ///   become visible only on commit (an unnamed temporary file): one pass, and the caller
        ///   discards the sink when this throws.
        public func decrypt(
            to sink: ByteSink, sinkReleasesImmediately: Bool, progress: (@Sendable (Int) -> Void)? = nil
        ) throws {
            let hashing = trailer != nil
            if sinkReleasesImmediately {
                // Pass 1 fingerprints every chunk, signed or not: pass 2 is held to exactly these chunks (by
                // leaf hash when signed, against key holders; by AEAD tag when unsigned, ChunkFingerprint).
                let fingerprint: ChunkFingerprint = hashing ? .leafHash : .tag
                let verified = try unlocked.verify(hashing: true, fingerprint: fingerprint)
                try check(verified, against: trailer)
                try unlocked.decrypt(to: sink, fingerprint: fingerprint, expected: verified, progress: progress)
            } else {
                try check(try unlocked.decrypt(to: sink, hashing: hashing, progress: progress), against: trailer)
            }
        }

        /// Decrypts into `buffer` (at least `plaintextLength` bytes) in one pass on all cores; on any
        /// failure, including a chunk that differs from what was signed, the buffer is zeroed. For a signed
        /// file each chunk is compared with its signed hash before it is copied in: unsigned plaintext never
        /// enters the buffer, even while the call runs (the C ABI's `decrypt_into`, Python's `load`).
        public func decrypt(into buffer: UnsafeMutableRawBufferPointer, progress: (@Sendable (Int) -> Void)? = nil)
            throws
        {
            let leaves: [[UInt8]]
            do {
                leaves = try unlocked.decrypt(
                    into: buffer, hashing: trailer != nil, expected: trailer?.leafHashes, progress: progress)
            } catch SealError.chunkNotSigned(let index) {
                // The buffer was zeroed; report it as every other path does.
                throw SigningError.invalidSignature(
                    "chunk \(index) differs from what was signed: the file was altered after signing")
            }
            do {
                try check(leaves, against: trailer)
            } catch {
                if let base = buffer.baseAddress {
                    base.initializeMemory(as: UInt8.self, repeating: 0, count: plaintextLength)
                }
                throw error
            }
        }

        /// Authenticates every chunk (and its signed hash) without releasing anything.
        public func verify(progress: (@Sendable (Int) -> Void)? = nil) throws {
            try check(try unlocked.verify(hashing: trailer != nil, progress: progress), against: trailer)
        }

        private func check(_ leaves: [[UInt8]], against trailer: SignatureTrailer?) throws {
            guard let trailer else { return }
            if let index = leaves.indices.first(where: { leaves[$0] != trailer.leafHashes[$0] }) {
                throw SigningError.invalidSignature(
                    "chunk \(index) differs from what was signed: the file was altered after signing")
            }
        }
    }

    /// Every check that needs no chunk, in order: license and runtime guards (before any key is
    /// unwrapped), header MAC, signatures over the trailer, required signers, trust; then the load
    /// is counted. Fails fast: a wrong key, an untrusted signer or an expired license reads no chunk.
    public func prepare(_ source: ByteSource) throws -> Prepared {
        try prepare(try SealedFile(source))
    }

    /// `prepare` for a file already parsed.
    public func prepare(_ file: SealedFile) throws -> Prepared {
        let authorization = try license?.authorize(file)
        let unlocked = try unlock(file, authorization: authorization)
        let metadata = try unlocked.metadata().entries
        let trailer = try signatureTrailer(of: file)
        let required = try file.requiredSignerKeyIDs()
        let signers = try FileSignatures.verify(
            file, trailer: trailer, leafHashes: nil, trustedKeys: trustedKeys,
            requiredKeyIDs: required + (try licenseSigner(trailer: trailer)))
        // A load is counted once the header authenticated and the signatures held, before any plaintext.
        try authorization?.recordLoad()
        return Prepared(
            file: file, unlocked: unlocked, trailer: trailer, signers: signers, metadata: metadata,
            licenseWarnings: authorization?.warnings ?? [])
    }

    /// Opens `source` into `sink`: `prepare`, then `Prepared.decrypt(to:sinkReleasesImmediately:)`.
    public func open(
        _ source: ByteSource, to sink: ByteSink, sinkReleasesImmediately: Bool
    ) throws -> Result {
        let prepared = try prepare(source)
        try prepared.decrypt(to: sink, sinkReleasesImmediately: sinkReleasesImmediately, progress: progress)
        var result = Result(
            file: prepared.file, plaintextLength: prepared.plaintextLength, signers: prepared.signers,
            metadata: prepared.metadata)
        result.licenseWarnings = prepared.licenseWarnings
        return result
    }

    /// For a licensed open, the license signer's key id: its signature is always required (besides any
    /// trust keys). A licensee holds a key that unwraps the file key, so the header MAC (and a
    /// `signature-required` under it) binds nobody who could alter the file; only the vendor's
    /// signature does (spec/SIGNATURES.md §4, SECURITY.md).
    private func licenseSigner(trailer: SignatureTrailer?) throws -> [[UInt8]] {
        guard let license else { return [] }
        if trailer == nil {
            throw SigningError.unsigned(
                "a licensed open requires the model to be signed by the license's vendor key "
                    + "\(license.signed.signer.fingerprint): the vendor seals with --sign-key (or runs `modelseal sign`)"
            )
        }
        return [license.signed.signer.keyID]
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

}
