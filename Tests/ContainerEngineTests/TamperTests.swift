import ContainerEngine
import ContainerFormat
import ModelSealCore
import Testing

@Suite("Tampering, truncation and reordering never yield plaintext")
struct TamperTests {
    /// The error classes a damaged file may produce; anything else (or success) is a bug.
    static func isExpectedRejection(_ error: Error) -> Bool {
        guard let error = error as? SealError else { return false }
        switch error {
        case .malformed, .noMatchingIdentity, .headerMACMismatch, .chunkAuthenticationFailed,
            .extensionAuthenticationFailed, .malformedExtension, .unsafeScryptParameters:
            return true
        default:
            return false
        }
    }

    static func expectRejected(_ sealed: [UInt8], with identities: [Identity], _ note: String) {
        do {
            let unlocked = try SealedFile(MemorySource(sealed)).unlock(with: identities)
            try unlocked.verify()
            _ = try unlocked.metadata()
            Issue.record("accepted a damaged file: \(note)")
        } catch {
            #expect(isExpectedRejection(error), "\(note): unexpected error \(error)")
        }
    }

    @Test func flippingAnyByteOfASmallFileIsRejected() throws {
        let identity = X25519Identity.generate()
        let key = RawKey.generate()
        let sealed = try sealInMemory(
            patternBytes(1000), to: [key, identity.recipient], metadata: ["name": "model.pt"])
        for index in sealed.indices {
            var damaged = sealed
            damaged[index] ^= 0x01
            Self.expectRejected(damaged, with: [key], "bit 0 of byte \(index) flipped")
            damaged[index] ^= 0x81
            Self.expectRejected(damaged, with: [identity], "bit 7 of byte \(index) flipped")
        }
    }

    @Test func flippingBytesAcrossChunksIsRejected() throws {
        let key = RawKey.generate()
        let sealed = try sealInMemory(patternBytes(2 * smallChunk + 100), to: [key])
        for index in stride(from: 0, to: sealed.count, by: 97) {
            var damaged = sealed
            damaged[index] ^= 0x40
            Self.expectRejected(damaged, with: [key], "byte \(index) flipped")
        }
    }

    @Test func truncationAtEveryChunkBoundaryIsRejected() throws {
        let key = RawKey.generate()
        let sealed = try sealInMemory(patternBytes(4 * smallChunk + 10), to: [key])
        let file = try SealedFile(MemorySource(sealed))
        let start = file.headerBytes.count
        for chunk in 0..<file.layout.chunkCount {
            let boundary = start + file.layout.offset(ofChunk: chunk)
            for cut in [boundary, boundary + 1, boundary + 16, boundary + 17] where cut < sealed.count {
                Self.expectRejected(Array(sealed.prefix(cut)), with: [key], "truncated at \(cut)")
            }
        }
        for cut in [0, 1, 8, 16, start - 1, start] {
            Self.expectRejected(Array(sealed.prefix(cut)), with: [key], "truncated at \(cut)")
        }
    }

    @Test func truncationAtABoundaryIsAnAuthenticationFailure() throws {
        let key = RawKey.generate()
        let sealed = try sealInMemory(patternBytes(3 * smallChunk), to: [key])
        let file = try SealedFile(MemorySource(sealed))
        let cut = Array(sealed.prefix(file.headerBytes.count + 2 * file.layout.sealedChunkSize))
        #expect(throws: SealError.chunkAuthenticationFailed(index: 1)) {
            try SealedFile(MemorySource(cut)).unlock(with: [key]).verify()
        }
    }

    @Test func swappedChunksAreRejected() throws {
        let key = RawKey.generate()
        let sealed = try sealInMemory(patternBytes(3 * smallChunk), to: [key])
        let file = try SealedFile(MemorySource(sealed))
        let size = file.layout.sealedChunkSize
        let start = file.headerBytes.count
        var swapped = sealed
        swapped.replaceSubrange(start..<(start + size), with: sealed[(start + size)..<(start + 2 * size)])
        swapped.replaceSubrange((start + size)..<(start + 2 * size), with: sealed[start..<(start + size)])
        #expect(throws: SealError.chunkAuthenticationFailed(index: 0)) {
            try SealedFile(MemorySource(swapped)).unlock(with: [key]).verify()
        }
    }

    @Test func appendedBytesAreRejected() throws {
        let key = RawKey.generate()
        let sealed = try sealInMemory(patternBytes(smallChunk + 5), to: [key])
        for extra in [1, 15, 16, 17, smallChunk + 16] {
            Self.expectRejected(sealed + patternBytes(extra, seed: 9), with: [key], "\(extra) bytes appended")
        }
        // A whole extra chunk sealed under the same key and the next counter is still rejected: the old last
        // chunk carries the last-chunk flag.
        let longer = try sealInMemory(patternBytes(2 * smallChunk + 5), to: [key])
        Self.expectRejected(sealed + longer.suffix(21), with: [key], "foreign final chunk appended")
    }

    @Test func headerSwappedBetweenFilesIsRejected() throws {
        let key = RawKey.generate()
        let first = try sealInMemory(patternBytes(100, seed: 1), to: [key])
        let second = try sealInMemory(patternBytes(100, seed: 2), to: [key])
        let headerLength = try SealedFile(MemorySource(first)).headerBytes.count
        let mixed = Array(first.prefix(headerLength)) + second.dropFirst(headerLength)
        #expect(throws: SealError.chunkAuthenticationFailed(index: 0)) {
            try SealedFile(MemorySource(mixed)).unlock(with: [key]).verify()
        }
    }

    @Test func stanzaTransplantIsAHeaderFailureNotAWrongKey() throws {
        // Same key, two files: moving file A's stanza into file B unwraps A's file key, whose MAC fails on B.
        let key = RawKey.generate()
        let first = try sealInMemory(patternBytes(10), to: [key])
        let second = try sealInMemory(patternBytes(10), to: [key])
        var transplanted = second
        transplanted.replaceSubrange(52..<132, with: first[52..<132])
        #expect(throws: SealError.headerMACMismatch) { try SealedFile(MemorySource(transplanted)).unlock(with: [key]) }
    }

    @Test func nothingIsWrittenToTheSinkBeforeAFailingChunk() throws {
        // decrypt() writes chunk by chunk; verify() first is how callers release nothing of a bad file.
        let key = RawKey.generate()
        var sealed = try sealInMemory(patternBytes(3 * smallChunk), to: [key])
        sealed[sealed.count - 5] ^= 1
        let unlocked = try SealedFile(MemorySource(sealed)).unlock(with: [key])
        #expect(throws: SealError.chunkAuthenticationFailed(index: 2)) { try unlocked.verify() }
    }
}

@Suite("scrypt parameter caps")
struct ScryptParameterTests {
    @Test(arguments: [
        (9, 8, 1), (21, 8, 1), (18, 0, 1), (18, 33, 1), (18, 8, 0), (18, 8, 17), (20, 16, 1), (20, 8, 16),
        (255, 255, 255),
    ])
    func refused(log2N: Int, r: Int, p: Int) {
        #expect(throws: SealError.unsafeScryptParameters(log2N: log2N, r: r, p: p)) {
            try ScryptParameters.validated(log2N: log2N, r: r, p: p)
        }
    }

    @Test(arguments: [(10, 8, 1), (18, 8, 1), (20, 8, 1), (16, 32, 1)])
    func accepted(log2N: Int, r: Int, p: Int) throws {
        let parameters = try ScryptParameters.validated(log2N: log2N, r: r, p: p)
        #expect(parameters.memory <= ScryptParameters.maximumMemory)
    }

    /// The suspected item of issue 13: within the format's caps a crafted stanza could ask for 2^26 work
    /// (about 20 s and 1 GiB per try). Openers now stop at 2^23 (the costliest a writer offers) unless
    /// the user allows more; the refusal comes before any derivation, so it is immediate.
    @Test func openersCapScryptWorkBelowTheFormatUnlessAllowed() throws {
        let crafted = Stanza(type: .scrypt, body: [18, 32, 8] + [UInt8](repeating: 7, count: 32 + 48))
        #expect((1 << 18) * 32 * 8 == ScryptParameters.maximumWork)
        let clock = ContinuousClock()
        let started = clock.now
        #expect(throws: SealError.unsafeScryptParameters(log2N: 18, r: 32, p: 8)) {
            _ = try Passphrase("correct horse battery staple").unwrap([crafted])
        }
        #expect(clock.now - started < .seconds(1))
        // The costliest parameters a writer offers still open by default; the format's cap needs the opt-in.
        _ = try ScryptParameters.validated(log2N: 20, r: 8, p: 1, workLimit: ScryptParameters.defaultOpeningWork)
        #expect(throws: SealError.self) {
            try ScryptParameters.validated(log2N: 18, r: 32, p: 8, workLimit: ScryptParameters.defaultOpeningWork)
        }
        _ = try ScryptParameters.validated(log2N: 18, r: 32, p: 8, workLimit: ScryptParameters.maximumWork)
    }

    @Test func absurdParametersInAFileAreRefusedBeforeDerivation() throws {
        let sealed = try sealInMemory(patternBytes(10), to: [try cheapPassphrase()])
        // The scrypt stanza starts at 49: type(1) length(2) then log2_n r p.
        for (offset, value) in [(52, UInt8(60)), (53, UInt8(255)), (54, UInt8(200))] {
            var edited = sealed
            edited[offset] = value
            #expect(throws: SealError.self) {
                try openInMemory(edited, with: [try Passphrase("correct horse battery staple")])
            }
            do {
                _ = try openInMemory(edited, with: [try Passphrase("correct horse battery staple")])
            } catch let error as SealError {
                guard case .unsafeScryptParameters = error else {
                    Issue.record("expected unsafe parameters, got \(error)")
                    continue
                }
            }
        }
    }
}
