import ContainerFormat
import Crypto
import ModelSealCore

/// A sealed file whose header has been parsed but not yet authenticated.
///
/// Everything here is *unverified* until `unlock(with:)` has checked the header MAC: `inspect`
/// shows it with that label.
public struct SealedFile: Sendable {
    /// The parsed header.
    public let header: SealedHeader
    /// The header bytes exactly as read.
    public let headerBytes: [UInt8]
    /// Chunk positions, derived from the file length.
    public let layout: PayloadLayout
    /// Bytes of a signature trailer after the payload (0 when absent).
    public let trailerLength: Int
    /// The signature trailer, parsed but not verified (ModelSealSigning verifies it).
    public let trailer: SignatureTrailer?
    /// Total file length.
    public let fileLength: Int
    let source: SendableSource

    /// Reads and parses the header of `source` with one bounded read, and derives the payload layout.
    public init(_ source: ByteSource) throws(SealError) {
        let fileLength = source.size
        guard fileLength > 0 else { throw .malformed(.emptyFile) }
        let prefix = try SealError.reading { () throws(IOError) in try source.read(at: 0, count: min(16, fileLength)) }
        let declared: Int
        do throws(FormatError) {
            declared = try SealedHeader.declaredLength(prefix: prefix)
        } catch {
            throw .malformed(error)
        }
        guard declared <= fileLength else {
            throw .malformed(.truncatedHeader(offset: fileLength, needed: declared - fileLength))
        }
        let headerBytes = try SealError.reading { () throws(IOError) in try source.read(at: 0, count: declared) }
        let footer = try SealError.reading { () throws(IOError) in
            try source.read(
                at: max(declared, fileLength - SealedFormat.trailerFooterLength),
                count: min(SealedFormat.trailerFooterLength, fileLength - declared))
        }
        do throws(FormatError) {
            header = try SealedHeader.parse(headerBytes)
            trailerLength = try TrailerFraming.trailerLength(footer: footer, bytesAfterHeader: fileLength - declared)
            layout = try PayloadLayout(
                chunkSize: header.chunkSize, payloadLength: fileLength - declared - trailerLength)
            if trailerLength > SignatureTrailer.maximumEncodedLength(chunkCount: layout.chunkCount) {
                throw FormatError.malformedSignatureTrailer(
                    "\(trailerLength) bytes is more than \(layout.chunkCount) chunk(s) can carry")
            }
        } catch {
            throw .malformed(error)
        }
        if trailerLength > 0 {
            let trailerStart = fileLength - trailerLength
            let trailerCount = trailerLength
            let bytes = try SealError.reading { () throws(IOError) in
                try source.read(at: trailerStart, count: trailerCount)
            }
            do throws(FormatError) {
                trailer = try SignatureTrailer.parse(bytes, chunkCount: layout.chunkCount)
            } catch {
                throw .malformed(error)
            }
        } else {
            trailer = nil
        }
        self.headerBytes = headerBytes
        self.fileLength = fileLength
        self.source = SendableSource(source)
    }

    /// Bytes of the payload.
    public var payloadRange: Range<Int> { headerBytes.count..<(headerBytes.count + layout.payloadLength) }

    /// Key ids the header's signature-required extension lists (empty without one). Unverified
    /// until `unlock` has checked the MAC.
    public func requiredSignerKeyIDs() throws(SealError) -> [[UInt8]] {
        guard let body = header.extension(.signatureRequired)?.body else { return [] }
        do throws(FormatError) {
            return try RequiredSigners.keyIDs(in: body)
        } catch {
            throw .malformed(error)
        }
    }

    /// `SHA-256(0x00 || chunk)` of every ciphertext chunk, hashed on all cores (no key needed).
    public func leafHashes(progress: (@Sendable (Int) -> Void)? = nil) throws(SealError) -> [[UInt8]] {
        let layout = layout
        let batch = Parallel.batchCount(itemSize: layout.chunkSize)
        let buffer = SharedBuffer(count: batch * layout.sealedChunkSize)
        defer { buffer.deallocate() }
        let source = source
        let start = headerBytes.count
        var leaves: [[UInt8]] = []
        leaves.reserveCapacity(layout.chunkCount)
        var first = 0
        while first < layout.chunkCount {
            let count = min(batch, layout.chunkCount - first)
            let base = first
            leaves += try Parallel.map(count) { (offset) throws(SealError) -> [UInt8] in
                let index = base + offset
                let slot = buffer.slice(
                    (offset * layout.sealedChunkSize)..<(offset * layout.sealedChunkSize + layout.length(ofChunk: index))
                )
                try SealError.reading { () throws(IOError) in
                    try source.source.read(into: slot, at: start + layout.offset(ofChunk: index))
                }
                return Merkle.leafHash(UnsafeRawBufferPointer(slot))
            }
            first += count
            progress?(first * layout.chunkSize)
        }
        return leaves
    }

    /// Finds the file key with the first identity that opens a stanza, then checks the header MAC.
    ///
    /// No chunk is decrypted before the MAC has been verified.
    public func unlock(with identities: [Identity]) throws(SealError) -> UnlockedFile {
        // An unusable stanza (unsafe scrypt costs) is refused on its own; the error is reported only
        // when no identity opens another stanza, so the outcome does not depend on identity order.
        var refusal: SealError? = nil
        for identity in identities {
            let unwrapped: SymmetricKey?
            do {
                unwrapped = try identity.unwrap(header.stanzas)
            } catch {
                refusal = refusal ?? error
                continue
            }
            guard let fileKey = unwrapped else { continue }
            let schedule = KeySchedule(fileKey: fileKey)
            guard schedule.verifyHeaderMAC(header.mac, over: Array(headerBytes.dropLast(SealedFormat.macLength))) else {
                throw .headerMACMismatch
            }
            return UnlockedFile(file: self, schedule: schedule)
        }
        if let refusal { throw refusal }
        throw .noMatchingIdentity(stanzaTypes: Array(Set(header.stanzas.map(\.type.description))).sorted())
    }
}

/// A random-access source shared with worker threads, which only call `pread`-style reads.
struct SendableSource: @unchecked Sendable {
    let source: ByteSource
    init(_ source: ByteSource) { self.source = source }
}
