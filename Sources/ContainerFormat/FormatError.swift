/// Why bytes are not a well-formed sealed file (spec/CONTAINER.md §2–§7, spec/SIGNATURES.md).
///
/// Every case names the rule that was broken and, where it helps, the offset; messages say what
/// a user can do about it.
public enum FormatError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file has no bytes at all.
    case emptyFile
    /// The first 8 bytes are not the ModelSeal magic.
    case notSealedFile
    /// The version byte is not 1.
    case unsupportedVersion(UInt8)
    /// The cipher suite byte is unknown.
    case unsupportedSuite(UInt8)
    /// The chunk size exponent is outside 16...24.
    case chunkSizeOutOfRange(log2: UInt8)
    /// A reserved byte is not zero.
    case nonZeroReserved(offset: Int)
    /// header_length is outside 83...4 MiB or larger than the file.
    case headerLengthOutOfRange(Int)
    /// The header ended before a field could be read.
    case truncatedHeader(offset: Int, needed: Int)
    /// stanza_count is outside 1...64.
    case stanzaCountOutOfRange(Int)
    /// A stanza body is longer than 4096 bytes.
    case stanzaTooLarge(index: Int, length: Int)
    /// A known stanza type has a body of the wrong length.
    case invalidStanzaBody(type: StanzaType, length: Int)
    /// More than one scrypt stanza.
    case duplicateScryptStanza
    /// extension_count is over 32.
    case extensionCountOutOfRange(Int)
    /// Extension types are not strictly increasing.
    case extensionsOutOfOrder(ExtensionType)
    /// The header's parsed length differs from header_length.
    case headerLengthMismatch(declared: Int, parsed: Int)
    /// A critical extension this implementation does not know.
    case unknownCriticalExtension(ExtensionType)
    /// The payload is empty or its last chunk is shorter than a tag.
    case truncatedPayload(payloadLength: Int)
    /// A signature trailer whose length does not fit the file.
    case malformedTrailer
    /// A file whose header requires a signature ends without its trailer, inside its payload: cut short
    /// (a partial download), not merely stripped of its signature.
    case truncatedSignedFile(fileLength: Int)
    /// A signature trailer or signature-required extension that breaks spec/SIGNATURES.md.
    case malformedSignatureTrailer(String)

    public var description: String {
        switch self {
        case .emptyFile:
            "the file is empty: not a ModelSeal sealed file"
        case .notSealedFile:
            "not a ModelSeal sealed file (magic bytes missing)"
        case .unsupportedVersion(let version):
            "unsupported format version \(version): this modelseal reads version 1; upgrade modelseal"
        case .unsupportedSuite(let suite):
            "unsupported cipher suite 0x\(String(suite, radix: 16)): the file is corrupted or needs a newer modelseal"
        case .chunkSizeOutOfRange(let log2):
            "chunk size 2^\(log2) is outside 2^16...2^24: corrupted header"
        case .nonZeroReserved(let offset):
            "reserved header byte at offset \(offset) is not zero: corrupted header"
        case .headerLengthOutOfRange(let length):
            "header length \(length) is outside 83 bytes...4 MiB or beyond the end of the file: corrupted header"
        case .truncatedHeader(let offset, let needed):
            "header truncated at offset \(offset) (\(needed) more bytes needed): corrupted or partial file"
        case .stanzaCountOutOfRange(let count):
            "\(count) recipient stanzas (allowed 1...64): corrupted header"
        case .stanzaTooLarge(let index, let length):
            "recipient stanza \(index) has a \(length)-byte body (max 4096): corrupted header"
        case .invalidStanzaBody(let type, let length):
            "\(type) stanza has a \(length)-byte body: corrupted header"
        case .duplicateScryptStanza:
            "more than one passphrase (scrypt) stanza: malformed header"
        case .extensionCountOutOfRange(let count):
            "\(count) header extensions (max 32): corrupted header"
        case .extensionsOutOfOrder(let type):
            "header extension \(type.hex) is out of order or repeated: malformed header"
        case .headerLengthMismatch(let declared, let parsed):
            "header declares \(declared) bytes but its fields take \(parsed): corrupted header"
        case .unknownCriticalExtension(let type):
            "this file needs a newer modelseal: critical extension \(type.hex) is not supported"
        case .truncatedPayload(let length):
            "payload of \(length) bytes ends inside a chunk: truncated file"
        case .malformedSignatureTrailer(let reason):
            "malformed signature trailer: \(reason)"
        case .malformedTrailer:
            "signature trailer length does not fit the file: corrupted or truncated file"
        case .truncatedSignedFile(let length):
            "truncated file: it ends after \(length) bytes, inside its payload and before the signature trailer its "
                + "header requires (a partial download or copy?): get the whole file again"
        }
    }
}
