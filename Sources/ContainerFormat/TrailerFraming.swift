import ModelSealCore

/// Locates the end of the payload when a signature trailer may follow it (spec/SIGNATURES.md).
public enum TrailerFraming {
    /// True when the file's last bytes are the trailer magic.
    public static func hasTrailerMagic(footer: [UInt8]) -> Bool {
        footer.count == SealedFormat.trailerFooterLength
            && footer.suffix(SealedFormat.trailerMagic.count).elementsEqual(SealedFormat.trailerMagic)
    }

    /// The trailer's total length (body and footer) given the file's last 12 bytes, or 0 without a trailer.
    ///
    /// - Parameters:
    ///   - footer: the last `trailerFooterLength` bytes of the file (fewer when the file is shorter).
    ///   - bytesAfterHeader: bytes between the end of the header and the end of the file.
    public static func trailerLength(footer: [UInt8], bytesAfterHeader: Int) throws(FormatError) -> Int {
        guard hasTrailerMagic(footer: footer) else { return 0 }
        var reader = ByteReader(footer)
        guard let bodyLength = reader.readBigEndian(UInt32.self) else { return 0 }
        let total = Int(bodyLength) + SealedFormat.trailerFooterLength
        guard total <= bytesAfterHeader - SealedFormat.tagLength else { throw .malformedTrailer }
        return total
    }
}
