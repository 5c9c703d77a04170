import ArticleCompat
import ContainerEngine
import ModelSealCore

extension ModelOpener {
    /// The article's Fernet file (docs/ARTICLE.md) after pass 1 authenticated the whole token.
    ///
    /// Decrypting is pass 2: each chunk is released only if it is byte-identical to what pass 1
    /// authenticated, so a file changed between the passes stops before any changed byte.
    public struct PreparedFernet: @unchecked Sendable {
        let verified: VerifiedFernetFile
        /// Plaintext bytes.
        public var plaintextLength: Int { verified.plaintextLength }
        /// When the token was made (authenticated), seconds since 1970.
        public var timestamp: UInt64 { verified.timestamp }

        /// Pass 2 into `sink`; returns the bytes written. A sink that releases bytes as they come
        /// may see a prefix of the plaintext if the file changes between the passes.
        public func decrypt(to sink: ByteSink) throws -> Int { try verified.decrypt(to: sink) }

        /// Pass 2 into `buffer` (at least `plaintextLength` bytes); on any failure the plaintext
        /// range of the buffer is zeroed before the error is thrown.
        public func decrypt(into buffer: UnsafeMutableRawBufferPointer) throws {
            let total = plaintextLength
            guard buffer.count >= total else {
                throw StatusError(.usage, "the buffer holds \(buffer.count) bytes; the plaintext needs \(total)")
            }
            let stream = verified.plaintext()
            var written = 0
            do {
                while written < total {
                    let count = try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[written..<total]))
                    guard count > 0 else { throw SealError.inputFailed("the Fernet token ended early in pass 2") }
                    written += count
                }
            } catch {
                if let base = buffer.baseAddress, total > 0 {
                    base.initializeMemory(as: UInt8.self, repeating: 0, count: total)
                }
                throw error
            }
        }
    }

    /// Pass 1 over a Fernet token with this opener's raw keys (a Fernet key is a raw key).
    ///
    /// The same rules on every surface: a Fernet token carries no ModelSeal signature, license or
    /// environment contract, so an opener that requires a signature (trust keys, a detached
    /// signature) or holds a license refuses it rather than open it unchecked.
    public func prepare(fernet file: FernetFile) throws -> PreparedFernet {
        if !trustedKeys.isEmpty || detachedSignature != nil {
            throw StatusError(
                .usage,
                "a Fernet file (the article's format) carries no ModelSeal signature, so trust keys cannot be "
                    + "satisfied: check its RSA signature with `modelseal verify --rsa-pkcs1v15`, then open it "
                    + "without trust keys, or migrate it (`modelseal migrate`) and sign the sealed file")
        }
        if license != nil {
            throw StatusError(.usage, "a Fernet file (the article's format) has no license: open it with its raw key")
        }
        let keys = try identities.compactMap { $0 as? RawKey }.map { key throws(FernetError) in
            try FernetKey(bytes: key.bytes)
        }
        guard !keys.isEmpty else {
            throw StatusError(
                .keyError,
                "a Fernet file (the article's format) opens only with its Fernet key, given as a raw key "
                    + "(identities and passphrases belong to ModelSeal files)")
        }
        return PreparedFernet(verified: try file.verify(with: keys))
    }
}
