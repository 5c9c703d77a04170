import ArticleCompat
import ContainerEngine
import ContainerFormat
import Crypto
import Foundation
import ModelSealCore
import ModelSealEnvironment
import ModelSealKit
import ModelSealLicensing
import ModelSealSigning
import Testing
import _CryptoExtras

/// `ModelOpener` is what `modelseal open`, the C ABI (`modelseal_file_unlock` + `decrypt_into`) and
/// Python `load()` share. Its promise (spec/CONTAINER.md §5, spec/SIGNATURES.md §3, §12.6): license → header MAC → signatures →
/// trust → chunks, and no plaintext byte before all of it passed. Every refusal here is checked for
/// its error, its status code, nothing released, and, for a check that needs no chunk, no chunk read.
@Suite("ModelOpener: verify before any plaintext is released")
struct ModelOpenerTests {
    // MARK: - The good open

    @Test("a good open releases exactly the plaintext", arguments: ReleasePath.allCases)
    func goodOpen(path: ReleasePath) throws {
        let signer = try SigningKey.generate(.ed25519)
        let fixture = try SealedFixture(signers: [signer])
        var opener = ModelOpener(identities: [RawKey.generate(), fixture.key])
        opener.trustedKeys = [signer.verifyingKey]
        let outcome = opener.attempt(fixture.signed, via: path)
        #expect(outcome.error == nil)
        expectReleased(outcome, fixture.plaintext)
        if let result = outcome.result {
            #expect(result.plaintextLength == fixture.plaintext.count)
            #expect(result.signers.map(\.key.fingerprint) == [signer.verifyingKey.fingerprint])
            #expect(result.signers.allSatisfy { $0.trusted })
        }
    }

    @Test("an unsigned file opened without trust keys releases its plaintext", arguments: ReleasePath.allCases)
    func unsignedWithoutTrust(path: ReleasePath) throws {
        let fixture = try SealedFixture()
        let outcome = ModelOpener(identities: [fixture.key]).attempt(fixture.unsigned, via: path)
        #expect(outcome.error == nil)
        expectReleased(outcome, fixture.plaintext)
        #expect(outcome.result.map(\.signers.isEmpty) ?? true)
    }

    // MARK: - Refusals before any chunk

    @Test("no identity matches: wrong key (10), no chunk read", arguments: ReleasePath.allCases)
    func wrongKey(path: ReleasePath) throws {
        let fixture = try SealedFixture()
        let spy = SpyIdentity()
        let outcome = ModelOpener(identities: [RawKey.generate(), spy]).attempt(fixture.unsigned, via: path)
        let error = try #require(outcome.error)
        guard case SealError.noMatchingIdentity = error else {
            Issue.record("expected noMatchingIdentity, got \(error)")
            return
        }
        #expect(outcome.status == .wrongKey)
        #expect(spy.calls == 1)
        #expect(outcome.releasedNothing)
        #expect(outcome.sinkWrites == 0)
        #expect(!outcome.source.readChunk(of: fixture.payloadRange))
    }

    enum HeaderByte: String, CaseIterable, CustomTestStringConvertible {
        case payloadSalt, headerMAC
        var testDescription: String { rawValue }
        func offset(in fixture: SealedFixture) -> Int {
            switch self {
            case .payloadSalt: SealedFixture.saltOffset
            case .headerMAC: fixture.headerMACOffset
            }
        }
    }

    @Test(
        "a tampered header fails its MAC (11) with the right key, no chunk read",
        arguments: HeaderByte.allCases, ReleasePath.allCases)
    func tamperedHeader(byte: HeaderByte, path: ReleasePath) throws {
        let fixture = try SealedFixture()
        let damaged = flipping(byte.offset(in: fixture), of: fixture.unsigned)
        let outcome = ModelOpener(identities: [fixture.key]).attempt(damaged, via: path)
        #expect(outcome.error as? SealError == .headerMACMismatch)
        #expect(outcome.status == .authenticationFailed)
        #expect(outcome.releasedNothing)
        #expect(outcome.sinkWrites == 0)
        #expect(!outcome.source.readChunk(of: fixture.payloadRange))
    }

    @Test("trust keys and no signature: unsigned (20), no chunk read", arguments: ReleasePath.allCases)
    func missingSignature(path: ReleasePath) throws {
        let fixture = try SealedFixture()
        var opener = ModelOpener(identities: [fixture.key])
        opener.trustedKeys = [try SigningKey.generate(.ed25519).verifyingKey]
        let outcome = opener.attempt(fixture.unsigned, via: path)
        let error = try #require(outcome.error)
        guard case SigningError.unsigned = error else {
            Issue.record("expected unsigned, got \(error)")
            return
        }
        #expect(outcome.status == .unsigned)
        #expect(outcome.releasedNothing)
        #expect(outcome.sinkWrites == 0)
        #expect(!outcome.source.readChunk(of: fixture.payloadRange))
    }

    @Test("a stripped signature the header requires: unsigned (20) even without trust keys")
    func strippedRequiredSignature() throws {
        let signer = try SigningKey.generate(.ed25519)
        let fixture = try SealedFixture(signers: [signer], requireSigners: true)
        let opener = ModelOpener(identities: [fixture.key])
        expectReleased(opener.attempt(fixture.signed, via: .immediate), fixture.plaintext)
        for path in ReleasePath.allCases {
            let outcome = opener.attempt(fixture.unsigned, via: path)
            let error = try #require(outcome.error)
            guard case SigningError.unsigned = error else {
                Issue.record("\(path): expected unsigned, got \(error)")
                continue
            }
            #expect(outcome.status == .unsigned)
            #expect(outcome.releasedNothing)
            #expect(!outcome.source.readChunk(of: fixture.payloadRange))
        }
    }

    @Test(
        "a valid signature by a key not trusted: untrusted signer (21), no chunk read", arguments: ReleasePath.allCases)
    func untrustedSigner(path: ReleasePath) throws {
        let signer = try SigningKey.generate(.ed25519)
        let fixture = try SealedFixture(signers: [signer])
        var opener = ModelOpener(identities: [fixture.key])
        opener.trustedKeys = [try SigningKey.generate(.ed25519).verifyingKey]
        let outcome = opener.attempt(fixture.signed, via: path)
        #expect(outcome.error as? SigningError == .untrustedSigner(fingerprints: [signer.verifyingKey.fingerprint]))
        #expect(outcome.status == .untrustedSigner)
        #expect(outcome.releasedNothing)
        #expect(outcome.sinkWrites == 0)
        #expect(!outcome.source.readChunk(of: fixture.payloadRange))
    }

    @Test("a present trailer is never ignored: a broken signature fails without trust keys (22)")
    func brokenSignatureWithoutTrust() throws {
        let signer = try SigningKey.generate(.ed25519)
        let fixture = try SealedFixture(signers: [signer])
        // The last byte before the trailer's length and magic is the signature's last byte.
        let damaged = flipping(fixture.signed.count - 13, of: fixture.signed)
        let outcome = ModelOpener(identities: [fixture.key]).attempt(damaged, via: .immediate)
        let error = try #require(outcome.error)
        guard case SigningError.invalidSignature = error else {
            Issue.record("expected invalidSignature, got \(error)")
            return
        }
        #expect(outcome.status == .invalidSignature)
        #expect(outcome.releasedNothing)
        #expect(!outcome.source.readChunk(of: fixture.payloadRange))
    }

    // MARK: - Refusals while reading chunks

    enum Signature: String, CaseIterable, CustomTestStringConvertible {
        case trailer, detached
        var testDescription: String { rawValue }
    }

    @Test(
        "a chunk re-sealed by a key holder after signing: invalid signature (22), nothing released",
        arguments: Signature.allCases, ReleasePath.allCases)
    func forgedChunk(signature: Signature, path: ReleasePath) throws {
        let signer = try SigningKey.generate(.ed25519)
        let fixture = try SealedFixture(signers: [signer])
        let last = 2
        let forgedPayload = try fixture.forgingChunk(last, of: fixture.unsigned)
        // The forged chunk authenticates under the file key: only the signed chunk list can catch it.
        let forgedPlaintext = try SealedFile(MemorySource(forgedPayload)).unlock(with: [fixture.key]).plaintext()
        let authenticatesAndDiffers =
            forgedPlaintext.count == fixture.plaintext.count && forgedPlaintext != fixture.plaintext
        try #require(authenticatesAndDiffers)

        var opener = ModelOpener(identities: [fixture.key])
        opener.trustedKeys = [signer.verifyingKey]
        let bytes: [UInt8]
        switch signature {
        case .trailer: bytes = forgedPayload + fixture.trailer
        case .detached:
            bytes = forgedPayload
            opener.detachedSignature = try fixture.detachedSignature(by: signer)
        }
        let outcome = opener.attempt(bytes, via: path)
        let error = try #require(outcome.error)
        guard case SigningError.invalidSignature(let reason) = error else {
            Issue.record("expected invalidSignature, got \(error)")
            return
        }
        #expect(reason.contains("chunk \(last) differs from what was signed"))
        #expect(outcome.status == .invalidSignature)
        #expect(outcome.releasedNothing)
        if path == .immediate {
            // A pipe sees nothing: every chunk was hashed and compared before the first write.
            #expect(outcome.sinkWrites == 0)
        }
    }

    @Test(
        "a corrupted chunk of an unsigned file: authentication failed (11), nothing released",
        arguments: ReleasePath.allCases)
    func corruptedChunk(path: ReleasePath) throws {
        let fixture = try SealedFixture()
        let damaged = flipping(fixture.lastChunkOffset, of: fixture.unsigned)
        let outcome = ModelOpener(identities: [fixture.key]).attempt(damaged, via: path)
        #expect(outcome.error as? SealError == .chunkAuthenticationFailed(index: 2))
        #expect(outcome.status == .authenticationFailed)
        #expect(outcome.releasedNothing)
        if path == .immediate { #expect(outcome.sinkWrites == 0) }
    }

    // MARK: - Detached signatures

    enum DetachedCase: String, CaseIterable, CustomTestStringConvertible {
        /// Signed by a trusted key: opens.
        case valid
        /// Signed by a key not trusted.
        case untrusted
        /// A valid signature of another file with the same layout.
        case otherFile
        /// The file carries its own trailer: a detached one is refused, not silently ignored.
        case fileAlreadySigned
        var testDescription: String { rawValue }

        var expected: StatusCode? {
            switch self {
            case .valid: nil
            case .untrusted: .untrustedSigner
            case .otherFile: .invalidSignature
            case .fileAlreadySigned: .malformedSignature
            }
        }
    }

    @Test("a detached signature is checked like a trailer", arguments: DetachedCase.allCases)
    func detachedSignature(kind: DetachedCase) throws {
        let signer = try SigningKey.generate(.ed25519)
        let fixture = try SealedFixture()
        var opener = ModelOpener(identities: [fixture.key])
        opener.trustedKeys = [signer.verifyingKey]
        var bytes = fixture.unsigned
        switch kind {
        case .valid:
            opener.detachedSignature = try fixture.detachedSignature(by: signer)
        case .untrusted:
            opener.detachedSignature = try fixture.detachedSignature(by: try SigningKey.generate(.ed25519))
        case .otherFile:
            opener.detachedSignature = try SealedFixture(key: fixture.key).detachedSignature(by: signer)
        case .fileAlreadySigned:
            let signed = try SealedFixture(signers: [signer], key: fixture.key)
            bytes = signed.signed
            opener.detachedSignature = try signed.detachedSignature(by: signer)
        }
        let plaintext =
            kind == .fileAlreadySigned
            ? try SealedFile(MemorySource(bytes)).unlock(with: [fixture.key]).plaintext() : fixture.plaintext
        for path in ReleasePath.allCases {
            let outcome = opener.attempt(bytes, via: path)
            #expect(outcome.status == kind.expected, "\(path): \(outcome.error.map { "\($0)" } ?? "opened")")
            if kind.expected == nil {
                expectReleased(outcome, plaintext)
            } else {
                #expect(outcome.releasedNothing)
                #expect(outcome.sinkWrites == 0)
                #expect(!outcome.source.readChunk(of: fixture.payloadRange))
            }
        }
    }

    // MARK: - Environment contracts

    /// The opener does not compare the environment: the callers do (`modelseal.load()` through
    /// `modelseal_file_check_environment` after `modelseal_file_unlock`; `modelseal open` never,
    /// docs/ENVIRONMENT.md). What the opener owns is that the contract they read is authentic: under
    /// the header MAC, and under every signature for a key holder who could re-MAC the header.
    @Test("the environment contract a caller checks is authenticated by the opener, not compared by it")
    func environmentContract() throws {
        let lock = EnvironmentLock(
            python: .init(implementation: "CPython", version: "3.11.7"),
            platform: .init(system: "plan9", machine: "mips"),  // matches no machine this runs on
            distributions: [.init(name: "numpy", version: "1.26.4")], torch: nil, conda: nil)
        let contract = try EnvironmentContract(policy: .exact, lock: lock)
        let signer = try SigningKey.generate(.ed25519)
        let fixture = try SealedFixture(signers: [signer], extensions: [contract.headerExtension])
        var opener = ModelOpener(identities: [fixture.key])
        opener.trustedKeys = [signer.verifyingKey]

        // Opens regardless of this machine (the opener does not check), and hands back the contract.
        let outcome = opener.attempt(fixture.signed, via: .immediate)
        expectReleased(outcome, fixture.plaintext)
        let opened = try #require(outcome.result)
        #expect(try EnvironmentContracts.contract(of: opened.file) == contract)

        // Edited in place: the header MAC fails before anything else.
        let version = Array("3.11.7".utf8)
        let at = try #require(fixture.headerBytes.indices.first { fixture.headerBytes[$0...].starts(with: version) })
        var edited = fixture.signed
        edited[at + version.count - 1] = UInt8(ascii: "8")
        #expect(opener.attempt(edited, via: .immediate).error as? SealError == .headerMACMismatch)

        // Edited and re-MACed by someone holding the file key: the header MAC passes, the signature
        // (over the header hash) does not; without trust keys the trailer is still verified.
        let authenticated = Array(edited[..<(fixture.headerBytes.count - SealedFormat.macLength)])
        edited.replaceSubrange(
            authenticated.count..<fixture.headerBytes.count,
            with: KeySchedule(fileKey: fixture.fileKey).headerMAC(authenticated))
        try #require(try SealedFile(MemorySource(edited)).unlock(with: [fixture.key]).plaintextLength > 0)
        for trust in [[signer.verifyingKey], []] {
            opener.trustedKeys = trust
            let remaced = opener.attempt(edited, via: .immediate)
            #expect(remaced.status == .invalidSignature)
            #expect(remaced.releasedNothing)
            #expect(!remaced.source.readChunk(of: fixture.payloadRange))
        }
    }
}

// MARK: - The order of the checks

/// One flaw a file or its opening can have, in the documented order of the checks that catch them.
enum Flaw: Int, CaseIterable, Comparable, CustomTestStringConvertible {
    /// The license expired (spec/LICENSING.md §6: before any key is unwrapped).
    case expiredLicense
    /// No identity opens a stanza (§3).
    case wrongKey
    /// The header MAC fails (§4: before any chunk or sealed extension).
    case tamperedHeader
    /// Trust keys given, no signature (§8.3 check 4).
    case missingSignature
    /// Trust keys given, signed by another key (§8.3 check 4).
    case untrustedSigner
    /// A chunk fails to authenticate (§5: only while reading chunks).
    case corruptChunk

    static func < (a: Flaw, b: Flaw) -> Bool { a.rawValue < b.rawValue }

    var testDescription: String { "\(self)" }

    /// Flaws that cannot meet (a license is the only key; a file is unsigned or signed).
    static let exclusive: [Set<Flaw>] = [[.expiredLicense, .wrongKey], [.missingSignature, .untrustedSigner]]

    /// True when `error` is the refusal for this flaw.
    func matches(_ error: Error) -> Bool {
        switch (self, error) {
        case (.expiredLicense, LicenseError.expired): true
        case (.wrongKey, SealError.noMatchingIdentity): true
        case (.tamperedHeader, SealError.headerMACMismatch): true
        case (.missingSignature, SigningError.unsigned): true
        case (.untrustedSigner, SigningError.untrustedSigner): true
        case (.corruptChunk, SealError.chunkAuthenticationFailed(index: 2)): true
        default: false
        }
    }

    var status: StatusCode {
        switch self {
        case .expiredLicense: .licenseExpired
        case .wrongKey: .wrongKey
        case .tamperedHeader, .corruptChunk: .authenticationFailed
        case .missingSignature: .unsigned
        case .untrustedSigner: .untrustedSigner
        }
    }

    /// Every single flaw and every pair of flaws that can meet.
    static var combinations: [[Flaw]] {
        let singles = allCases.map { [$0] }
        let pairs = allCases.flatMap { a in
            allCases.filter { $0 > a }.map { [a, $0] }
        }.filter { pair in !exclusive.contains { Set(pair).isSubset(of: $0) } }
        return singles + pairs
    }
}

/// An opener and a file carrying `flaws` and nothing else wrong.
struct FlawedOpening {
    var opener: ModelOpener
    let bytes: [UInt8]
    let fixture: SealedFixture
    /// Keeps the licensing folder alive while the opener uses it.
    let licensing: LicenseFixture?

    init(_ flaws: Set<Flaw>) throws {
        let signer = try SigningKey.generate(.ed25519)
        fixture = try SealedFixture(signers: flaws.contains(.missingSignature) ? [] : [signer])
        var bytes = fixture.signed
        if flaws.contains(.tamperedHeader) { bytes = flipping(fixture.headerMACOffset, of: bytes) }
        if flaws.contains(.corruptChunk) { bytes = flipping(fixture.lastChunkOffset, of: bytes) }
        self.bytes = bytes
        if flaws.contains(.expiredLicense) {
            let licensing = try LicenseFixture()
            let (terms, issuedAt) = expiredTerms(now: LicenseClock.now())
            let license = try licensing.issue(for: fixture.unsigned, key: fixture.key, terms: terms, issuedAt: issuedAt)
            opener = try licensing.opener(license)
            self.licensing = licensing
        } else {
            opener = ModelOpener(identities: [flaws.contains(.wrongKey) ? RawKey.generate() : fixture.key])
            licensing = nil
        }
        opener.trustedKeys = [
            flaws.contains(.untrustedSigner) ? try SigningKey.generate(.ed25519).verifyingKey : signer.verifyingKey
        ]
    }
}

@Suite("ModelOpener: the first failing check is the one documented first")
struct ModelOpenerOrderTests {
    /// license → header (key, MAC) → signature → trust → chunks: with two flaws, the earlier one is
    /// reported, and a flaw caught before the chunks means no chunk was even read.
    @Test("the earliest flaw in the documented order is reported", arguments: Flaw.combinations, ReleasePath.allCases)
    func earliestFlawWins(flaws: [Flaw], path: ReleasePath) throws {
        let opening = try FlawedOpening(Set(flaws))
        let first = try #require(flaws.min())
        let outcome = opening.opener.attempt(opening.bytes, via: path)
        let error = try #require(outcome.error)
        #expect(first.matches(error), "flaws \(flaws): expected \(first), got \(error)")
        #expect(outcome.status == first.status)
        #expect(outcome.releasedNothing)
        if path == .immediate { #expect(outcome.sinkWrites == 0) }
        if first < .corruptChunk {
            #expect(!outcome.source.readChunk(of: opening.fixture.payloadRange), "\(first) needs no chunk")
        }
    }

    @Test("the same file without its flaws opens: each flaw above is what made it fail")
    func controlOpens() throws {
        let opening = try FlawedOpening([])
        for path in ReleasePath.allCases {
            let outcome = opening.opener.attempt(opening.bytes, via: path)
            #expect(outcome.error == nil)
            expectReleased(outcome, opening.fixture.plaintext)
        }
    }
}

// MARK: - Licenses

/// Licenses go through `LicenseGate`, which probes this machine: the licenses are issued to it, in
/// a temporary licensing folder.
@Suite("ModelOpener with a license")
struct ModelOpenerLicenseTests {
    @Test("a licensed open releases the plaintext, counts one load and tries no other key")
    func licensedOpenCountsOneLoad() throws {
        let licensing = try LicenseFixture()
        let fixture = try SealedFixture(signers: [licensing.vendor])
        var terms = LicenseTerms(customer: "ACME")
        terms.maxLoads = 1
        let license = try licensing.issue(for: fixture.unsigned, key: fixture.key, terms: terms)
        var opener = try licensing.opener(license)
        let spy = SpyIdentity()
        opener.identities = [spy]
        let first = opener.attempt(fixture.signed, via: .buffer)
        #expect(first.error == nil)
        expectReleased(first, fixture.plaintext)
        #expect(spy.calls == 0)
        let second = opener.attempt(fixture.signed, via: .buffer)
        #expect(second.status == .loadsExhausted)
        #expect(second.releasedNothing)
    }

    /// Issue 13.2: a licensee holds a key that unwraps the file key, so it can strip the trailer and
    /// `signature-required`, alter chunks and re-MAC. A licensed open therefore always requires the
    /// license signer's signature, with or without trust keys, and counts no load without it.
    @Test("a licensed open requires the license's signer: unsigned or signed by another key, nothing released")
    func licensedOpenRequiresTheLicenseSigner() throws {
        let licensing = try LicenseFixture()
        let stranger = try SigningKey.generate(.ed25519)
        let unsigned = try SealedFixture()
        let foreign = try SealedFixture(signers: [stranger], key: unsigned.key)
        var terms = LicenseTerms(customer: "ACME")
        terms.maxLoads = 1
        for fixture in [unsigned, foreign] {
            let license = try licensing.issue(for: fixture.unsigned, key: fixture.key, terms: terms)
            var opener = try licensing.opener(license)
            opener.trustedKeys = [stranger.verifyingKey]
            for path in ReleasePath.allCases {
                let outcome = opener.attempt(fixture.signed, via: path)
                #expect(outcome.status == .unsigned, "\(path): \(String(describing: outcome.error))")
                #expect(outcome.releasedNothing)
            }
        }
        let signed = try SealedFixture(signers: [licensing.vendor])
        let license = try licensing.issue(for: signed.unsigned, key: signed.key, terms: terms)
        expectReleased(try licensing.opener(license).attempt(signed.signed, via: .buffer), signed.plaintext)
    }

    enum Refusal: String, CaseIterable, CustomTestStringConvertible {
        case expired, wrongMachine, loadsExhausted, wrongModel
        var testDescription: String { rawValue }

        var status: StatusCode {
            switch self {
            case .expired: .licenseExpired
            case .wrongMachine: .wrongMachine
            case .loadsExhausted: .loadsExhausted
            case .wrongModel: .wrongModel
            }
        }
    }

    /// The file's header MAC is broken too: had any key been unwrapped (and the MAC checked) before
    /// the license, the error would be 11.
    @Test("a refused license is reported before any key is unwrapped", arguments: Refusal.allCases)
    func refusedBeforeAnyKey(refusal: Refusal) throws {
        let licensing = try LicenseFixture()
        let fixture = try SealedFixture(signers: [licensing.vendor])
        var terms = LicenseTerms(customer: "ACME")
        var issuedAt = LicenseClock.now()
        var licensed = fixture.unsigned
        switch refusal {
        case .expired: (terms, issuedAt) = expiredTerms(now: issuedAt)
        case .loadsExhausted: terms.maxLoads = 1
        case .wrongModel: licensed = try SealedFixture(key: fixture.key).unsigned
        case .wrongMachine: break
        }
        let license = try licensing.issue(for: licensed, key: fixture.key, terms: terms, issuedAt: issuedAt)
        switch refusal {
        case .loadsExhausted:
            #expect(try licensing.opener(license).attempt(fixture.signed, via: .immediate).error == nil)
        case .wrongMachine:
            try licensing.requestAgain()
        case .expired, .wrongModel: break
        }
        var opener = try licensing.opener(license)
        let spy = SpyIdentity()
        opener.identities = [spy]
        let damaged = flipping(fixture.headerMACOffset, of: fixture.signed)
        for path in ReleasePath.allCases {
            let outcome = opener.attempt(damaged, via: path)
            let error = try #require(outcome.error)
            #expect(error is LicenseError, "\(path): \(error)")
            #expect(outcome.status == refusal.status, "\(path): \(error)")
            #expect(outcome.releasedNothing)
            #expect(!outcome.source.readChunk(of: fixture.payloadRange))
        }
        #expect(spy.calls == 0)
    }

    /// §12.6 step 8: the load is counted after the header MAC and the signatures held. With a
    /// one-load license, any of these failures counting would make the good open after them fail.
    @Test("refusals after the license check, and open --check, use no load")
    func laterRefusalsUseNoLoad() throws {
        let licensing = try LicenseFixture()
        let signer = try SigningKey.generate(.ed25519)
        let fixture = try SealedFixture(signers: [signer, licensing.vendor])
        var terms = LicenseTerms(customer: "ACME")
        terms.maxLoads = 1
        let license = try licensing.issue(for: fixture.unsigned, key: fixture.key, terms: terms)
        var opener = try licensing.opener(license)

        opener.trustedKeys = [signer.verifyingKey]
        let header = opener.attempt(flipping(fixture.headerMACOffset, of: fixture.signed), via: .immediate)
        #expect(header.error as? SealError == .headerMACMismatch)
        let broken = opener.attempt(flipping(fixture.signed.count - 13, of: fixture.signed), via: .immediate)
        #expect(broken.status == .invalidSignature)
        opener.trustedKeys = [try SigningKey.generate(.ed25519).verifyingKey]
        let untrusted = opener.attempt(fixture.signed, via: .immediate)
        #expect(untrusted.status == .untrustedSigner)
        opener.trustedKeys = [signer.verifyingKey]
        let unsigned = opener.attempt(fixture.unsigned, via: .immediate)
        #expect(unsigned.status == .unsigned)
        for outcome in [header, broken, untrusted, unsigned] {
            #expect(outcome.releasedNothing)
            #expect(!outcome.source.readChunk(of: fixture.payloadRange))
        }

        var check = try licensing.opener(license, use: .verify)
        check.trustedKeys = [signer.verifyingKey]
        #expect(check.attempt(fixture.signed, via: .staged).error == nil)

        let good = opener.attempt(fixture.signed, via: .immediate)
        #expect(good.error == nil)
        expectReleased(good, fixture.plaintext)
        #expect(opener.attempt(fixture.signed, via: .immediate).status == .loadsExhausted)
    }

    /// docs/LICENSING.md "What counts as a load": counted once the header authenticated and the
    /// signatures over the trailer verified; a failure after that point (a chunk) still used it.
    /// The forged chunk is refused and nothing is released, but the load is gone.
    @Test("a chunk that fails after the checks that need no chunk still used the load (documented)")
    func chunkFailureUsesTheLoad() throws {
        let licensing = try LicenseFixture()
        let signer = try SigningKey.generate(.ed25519)
        let fixture = try SealedFixture(signers: [signer, licensing.vendor])
        var terms = LicenseTerms(customer: "ACME")
        terms.maxLoads = 2
        let license = try licensing.issue(for: fixture.unsigned, key: fixture.key, terms: terms)
        var opener = try licensing.opener(license)
        opener.trustedKeys = [signer.verifyingKey]
        let forged = try fixture.forgingChunk(2, of: fixture.unsigned) + fixture.trailer
        let refused = opener.attempt(forged, via: .immediate)
        #expect(refused.status == .invalidSignature)
        #expect(refused.releasedNothing)
        #expect(refused.sinkWrites == 0)
        expectReleased(opener.attempt(fixture.signed, via: .immediate), fixture.plaintext)
        #expect(opener.attempt(fixture.signed, via: .immediate).status == .loadsExhausted)
    }
}

// MARK: - The article's Fernet files

/// `prepare(fernet:)`: a Fernet token carries no signature, license or contract, so an opener that
/// requires one refuses it instead of opening it unchecked; pass 1 authenticates the whole token
/// before pass 2 releases anything.
@Suite("ModelOpener with the article's Fernet files")
struct ModelOpenerFernetTests {
    enum Refusal: String, CaseIterable, CustomTestStringConvertible {
        case trustKeys, detachedSignature, license, noRawKey, wrongKey, flippedCiphertext, flippedMAC
        var testDescription: String { rawValue }

        var status: StatusCode {
            switch self {
            case .trustKeys, .detachedSignature, .license: .usage
            case .noRawKey: .keyError
            case .wrongKey, .flippedCiphertext, .flippedMAC: .authenticationFailed
            }
        }
    }

    @Test("the right raw key opens a Fernet token, through a sink and into a buffer")
    func opens() throws {
        let key = RawKey.generate()
        let plaintext = OpenerFixtures.plaintext()
        let token = try fernetToken(plaintext, key: key.bytes)
        let prepared = try ModelOpener(identities: [RawKey.generate(), key]).prepare(
            fernet: FernetFile(MemorySource(token)))
        #expect(prepared.plaintextLength == plaintext.count)
        let sink = RecordingSink()
        #expect(try prepared.decrypt(to: sink) == plaintext.count)
        #expect(sink.bytes == plaintext)
        var buffer = [UInt8](repeating: 0, count: plaintext.count)
        try buffer.withUnsafeMutableBytes { try prepared.decrypt(into: $0) }
        #expect(buffer == plaintext)
    }

    @Test("a Fernet token is refused before pass 2 releases anything", arguments: Refusal.allCases)
    func refused(refusal: Refusal) throws {
        let key = RawKey.generate()
        var token = try fernetToken(OpenerFixtures.plaintext(), key: key.bytes)
        var opener = ModelOpener(identities: [key])
        switch refusal {
        case .trustKeys: opener.trustedKeys = [try SigningKey.generate(.ed25519).verifyingKey]
        case .detachedSignature: opener.detachedSignature = [1, 2, 3]
        case .license:
            let licensing = try LicenseFixture()
            let model = try SealedFixture()
            opener.license = try licensing.gate(try licensing.issue(for: model.unsigned, key: model.key))
        case .noRawKey: opener.identities = [SpyIdentity()]
        case .wrongKey: opener.identities = [RawKey.generate()]
        case .flippedCiphertext: token = try flippingFernet(at: 100, of: token)
        case .flippedMAC: token = try flippingFernet(at: -1, of: token)
        }
        let file = try FernetFile(MemorySource(token))
        #expect {
            _ = try opener.prepare(fernet: file)
        } throws: { error in
            StatusCode(for: error) == refusal.status
        }
    }
}

/// The article's token (docs/ARTICLE.md): base64url of `0x80 || time || IV || AES-128-CBC || HMAC-SHA256`,
/// with the 32-byte key split into a signing half and an encryption half.
func fernetToken(_ plaintext: [UInt8], key: [UInt8], iv: [UInt8] = Array(repeating: 7, count: 16)) throws -> [UInt8] {
    let ciphertext = try AES._CBC.encrypt(
        plaintext, using: SymmetricKey(data: key[16..<32]), iv: AES._CBC.IV(ivBytes: iv))
    var token: [UInt8] = [0x80] + withUnsafeBytes(of: UInt64(1_700_000_000).bigEndian, Array.init) + iv
    token += ciphertext
    token += Array(HMAC<SHA256>.authenticationCode(for: token, using: SymmetricKey(data: key[0..<16])))
    let text = Data(token).base64EncodedString().replacingOccurrences(of: "+", with: "-")
        .replacingOccurrences(of: "/", with: "_")
    return Array(text.utf8)
}

/// The token with one bit of its decoded byte `index` flipped (negative: from the end), re-encoded.
func flippingFernet(at index: Int, of token: [UInt8]) throws -> [UInt8] {
    let text = String(decoding: token, as: UTF8.self).replacingOccurrences(of: "-", with: "+")
        .replacingOccurrences(of: "_", with: "/")
    var bytes = try #require(Data(base64Encoded: text).map(Array.init))
    bytes[index < 0 ? bytes.count + index : index] ^= 0x01
    return Array(
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").utf8)
}
