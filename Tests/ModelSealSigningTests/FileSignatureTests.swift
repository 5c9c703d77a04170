import ContainerEngine
import ContainerFormat
import ModelSealCore
import ModelSealSigning
import Testing

/// A small sealed file in memory with its leaf hashes.
private func sealedFile(signedBy signers: [(SigningKey, SignatureAlgorithm)] = [], required: [[UInt8]] = [])
    throws -> (bytes: [UInt8], key: RawKey)
{
    let key = RawKey.generate()
    var options = SealOptions()
    options.chunkLog2 = 16
    if !required.isEmpty { options.extensions = [RequiredSigners.extension(keyIDs: required)] }
    options.hashingLeaves = !signers.isEmpty
    let sink = MemorySink()
    let plaintext = (0..<(3 * 65536 + 100)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    let summary = try Sealer.seal(MemorySource(plaintext), to: sink, recipients: [key], options: options)
    guard !signers.isEmpty else { return (sink.bytes, key) }
    let entries = try signers.map { signer, algorithm in
        try FileSignatures.entry(
            key: signer, algorithm: algorithm, headerBytes: summary.headerBytes, payloadLength: summary.payloadLength,
            leafHashes: summary.leafHashes)
    }
    return (sink.bytes + SignatureTrailer(leafHashes: summary.leafHashes, entries: entries).encoded(), key)
}

private func verify(_ bytes: [UInt8], trust: [VerifyingKey] = [], required: [[UInt8]] = []) throws -> [VerifiedSigner] {
    let file = try SealedFile(MemorySource(bytes))
    return try FileSignatures.verify(
        file, trailer: file.trailer, leafHashes: try file.leafHashes(), trustedKeys: trust, requiredKeyIDs: required)
}

@Suite("Signed sealed files")
struct FileSignatureTests {
    static let rsa = try? SigningKey.generate(.rsaPSSSHA256, rsaBits: 2048)

    static var algorithms: [SignatureAlgorithm] { SignatureAlgorithm.allCases }

    static func key(for algorithm: SignatureAlgorithm) throws -> SigningKey {
        switch algorithm {
        case .rsaPSSSHA256, .rsaPKCS1v15SHA256: try #require(rsa)
        default: try SigningKey.generate(algorithm)
        }
    }

    @Test(arguments: algorithms)
    func everyAlgorithmSignsAndVerifies(algorithm: SignatureAlgorithm) throws {
        let signer = try Self.key(for: algorithm)
        let (bytes, _) = try sealedFile(signedBy: [(signer, algorithm)])
        let signers = try verify(bytes, trust: [signer.verifyingKey])
        #expect(signers.count == 1)
        #expect(signers.first?.algorithm == algorithm)
        #expect(signers.first?.trusted == true)
    }

    @Test func severalSignersAndTrust() throws {
        let vendor = try SigningKey.generate(.ed25519)
        let release = try SigningKey.generate(.ecdsaP384SHA384)
        let stranger = try SigningKey.generate(.ed25519)
        let (bytes, _) = try sealedFile(signedBy: [(vendor, .ed25519), (release, .ecdsaP384SHA384)])
        #expect(try verify(bytes).count == 2)
        #expect(try verify(bytes, trust: [release.verifyingKey]).filter(\.trusted).count == 1)
        #expect(
            throws: SigningError.untrustedSigner(fingerprints: [
                vendor.verifyingKey.fingerprint, release.verifyingKey.fingerprint,
            ])
        ) {
            try verify(bytes, trust: [stranger.verifyingKey])
        }
    }

    @Test func rsaPaddingsAreNotInterchangeable() throws {
        let signer = try Self.key(for: .rsaPSSSHA256)
        let (bytes, _) = try sealedFile(signedBy: [(signer, .rsaPSSSHA256)])
        let file = try SealedFile(MemorySource(bytes))
        var trailer = try #require(file.trailer)
        trailer.entries[0].algorithm = SignatureAlgorithm.rsaPKCS1v15SHA256.rawValue
        #expect(throws: SigningError.self) {
            try FileSignatures.verify(file, trailer: trailer, leafHashes: nil, trustedKeys: [], requiredKeyIDs: [])
        }
    }

    /// Any flipped byte of a signed file fails: as a chunk, header, leaf or signature mismatch, or a parse error.
    @Test func everyFlippedByteIsCaught() throws {
        let signer = try SigningKey.generate(.ed25519)
        let (bytes, key) = try sealedFile(signedBy: [(signer, .ed25519)])
        for index in stride(from: 0, to: bytes.count, by: 61) {
            var damaged = bytes
            damaged[index] ^= 0x04
            var caught = false
            do {
                _ = try verify(damaged, trust: [signer.verifyingKey])
            } catch {
                caught = true
            }
            if !caught {
                // The signature only covers what it covers; AEAD covers the rest (none expected here).
                Issue.record("byte \(index) flipped and the signature still verified")
            }
            _ = key
        }
    }

    @Test func aKeyHolderCannotForgeChunks() throws {
        // The customer holds the file key and re-seals altered weights under the same header: the
        // signature (over the chunk ciphertexts) no longer matches.
        let signer = try SigningKey.generate(.ed25519)
        let (bytes, key) = try sealedFile(signedBy: [(signer, .ed25519)])
        let file = try SealedFile(MemorySource(bytes))
        let unlocked = try file.unlock(with: [key])
        #expect(unlocked.plaintextLength == 3 * 65536 + 100)
        var forged = bytes
        forged.replaceSubrange(file.payloadRange.prefix(10), with: Array(repeating: 0, count: 10))
        #expect(throws: SigningError.self) { try verify(forged, trust: [signer.verifyingKey]) }
    }

    @Test func strippedSignatureFailsWhenRequired() throws {
        let signer = try SigningKey.generate(.ed25519)
        let id = signer.verifyingKey.keyID
        let (signed, _) = try sealedFile(signedBy: [(signer, .ed25519)], required: [id])
        let file = try SealedFile(MemorySource(signed))
        let stripped = Array(signed[..<file.payloadRange.upperBound])
        #expect(throws: SigningError.self) { try verify(stripped, required: [id]) }
        #expect(try verify(signed, required: [id]).count == 1)
    }

    @Test func unsignedFileWithTrustIsRefused() throws {
        let (bytes, _) = try sealedFile()
        #expect(try verify(bytes).isEmpty)
        #expect(throws: SigningError.self) {
            try verify(bytes, trust: [try SigningKey.generate(.ed25519).verifyingKey])
        }
    }

    @Test func trailerRoundTripsAndRejectsGarbage() throws {
        let signer = try SigningKey.generate(.ecdsaP256SHA256)
        let (bytes, _) = try sealedFile(signedBy: [(signer, .ecdsaP256SHA256)])
        let file = try SealedFile(MemorySource(bytes))
        let trailer = try #require(file.trailer)
        let encoded = trailer.encoded()
        #expect(Array(bytes.suffix(encoded.count)) == encoded)
        #expect(try SignatureTrailer.parse(encoded, chunkCount: file.layout.chunkCount) == trailer)
        #expect(throws: FormatError.self) {
            try SignatureTrailer.parse(encoded, chunkCount: file.layout.chunkCount + 1)
        }
        for cut in [1, 12, 40, encoded.count - 13] {
            var truncated = Array(encoded.dropFirst(cut))
            #expect(throws: FormatError.self) {
                try SignatureTrailer.parse(truncated, chunkCount: file.layout.chunkCount)
            }
            truncated = Array(encoded.prefix(encoded.count - cut))
            #expect(throws: FormatError.self) {
                try SignatureTrailer.parse(truncated, chunkCount: file.layout.chunkCount)
            }
        }
    }
}

@Suite("Merkle root (RFC 6962)")
struct MerkleTests {
    @Test func matchesTheRecursiveDefinition() {
        // Leaves are arbitrary 32-byte values; compare the split rule on small counts by hand.
        let leaves = (0..<7).map { index in [UInt8](repeating: UInt8(index), count: 32) }
        func node(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
            var bytes: [UInt8] = [1]
            bytes += left
            bytes += right
            return sha256(bytes)
        }
        #expect(Merkle.root([leaves[0]]) == leaves[0])
        #expect(Merkle.root(Array(leaves[0..<2])) == node(leaves[0], leaves[1]))
        #expect(Merkle.root(Array(leaves[0..<3])) == node(node(leaves[0], leaves[1]), leaves[2]))
        let four = node(node(leaves[0], leaves[1]), node(leaves[2], leaves[3]))
        #expect(Merkle.root(Array(leaves[0..<7])) == node(four, node(node(leaves[4], leaves[5]), leaves[6])))
    }
}
