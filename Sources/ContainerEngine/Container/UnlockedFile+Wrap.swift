import ContainerFormat
import Crypto

extension UnlockedFile {
    /// A stanza wrapping this file's key for `recipient`, so another container (a license) can
    /// carry access to this file; the file key itself never leaves the library.
    public func wrapFileKey(to recipient: Recipient) throws(SealError) -> Stanza {
        try recipient.wrap(schedule.fileKey)
    }
}

extension SealedFile {
    /// The file id (spec/LICENSING.md §1): 16 bytes of SHA-256 over a label and the payload salt, as
    /// 32 lowercase hex digits. It names a sealing: it survives `rekey` and `sign` (which keep the
    /// payload) and differs for every sealing. Unverified until `unlock` has checked the header MAC.
    public var fileID: String { Self.fileID(payloadSalt: header.payloadSalt) }

    /// The file id of the sealing with `payloadSalt`.
    public static func fileID(payloadSalt: [UInt8]) -> String {
        let digest = SHA256.hash(data: Array("modelseal/v1 file-id".utf8) + payloadSalt)
        return digest.prefix(16).map { byte in
            let digits = String(byte, radix: 16)
            return byte < 16 ? "0" + digits : digits
        }.joined()
    }
}

extension SealSummary {
    /// The file id of what was sealed (its header's payload salt).
    public var fileID: String {
        SealedFile.fileID(payloadSalt: Array(headerBytes[16..<(16 + SealedFormat.payloadSaltLength)]))
    }
}
