import Crypto
import ModelSealFormat

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
    /// Total file length.
    public let fileLength: Int
    let source: SendableSource

    /// Reads and parses the header of `source` with one bounded read, and derives the payload layout.
    public init(_ source: RandomAccessByteSource) throws(SealError) {
        let fileLength = source.size
        guard fileLength > 0 else { throw .malformed(.emptyFile) }
        let prefix = try source.bytes(at: 0, count: min(16, fileLength))
        let declared: Int
        do throws(FormatError) {
            declared = try SealedHeader.declaredLength(prefix: prefix)
        } catch {
            throw .malformed(error)
        }
        guard declared <= fileLength else {
            throw .malformed(.truncatedHeader(offset: fileLength, needed: declared - fileLength))
        }
        let headerBytes = try source.bytes(at: 0, count: declared)
        let footer = try source.bytes(
            at: max(declared, fileLength - SealedFormat.trailerFooterLength),
            count: min(SealedFormat.trailerFooterLength, fileLength - declared))
        do throws(FormatError) {
            header = try SealedHeader.parse(headerBytes)
            // FORMAT.md §8: a v1 reader refuses any file ending in the trailer magic, whatever its framing.
            if TrailerFraming.hasTrailerMagic(footer: footer) { throw FormatError.signedFileUnsupported }
            trailerLength = try TrailerFraming.trailerLength(footer: footer, bytesAfterHeader: fileLength - declared)
            layout = try PayloadLayout(chunkSize: header.chunkSize, payloadLength: fileLength - declared - trailerLength)
        } catch {
            throw .malformed(error)
        }
        self.headerBytes = headerBytes
        self.fileLength = fileLength
        self.source = SendableSource(source)
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
    let source: RandomAccessByteSource
    init(_ source: RandomAccessByteSource) { self.source = source }
}
