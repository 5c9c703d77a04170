import ModelSealCore

/// Why a Fernet token (the article's encrypted file) cannot be opened: a closed set.
///
/// Fernet has one MAC over the whole token and no per-key check value, so a wrong key and an
/// altered token are the same failure (`hmacMismatch`). Telling them apart would need a look at
/// unauthenticated plaintext (padding, a file magic), which is exactly a padding oracle: refused.
public enum FernetError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A character outside base64url, misplaced `=`, or stray bits in the last character.
    case malformedText(offset: Int, reason: String)
    /// The token is shorter than its structure requires, or its length is impossible for a token.
    case truncated(String)
    /// The first byte is not the Fernet version 0x80.
    case unsupportedVersion(UInt8)
    /// The token is larger than `FernetToken.maximumTextLength`.
    case tooLarge(Int)
    /// The key is not 32 bytes.
    case invalidKey(String)
    /// No given key's HMAC-SHA256 matches: a wrong key, or the token was altered (Fernet cannot tell which).
    case hmacMismatch(keysTried: Int)
    /// The token authenticated but its PKCS#7 padding is invalid: made by a broken writer.
    case invalidPadding
    /// Reading failed, or the file changed between the verifying and the decrypting pass.
    case inputFailed(String)
    /// Writing the plaintext failed.
    case outputFailed(String)

    public var description: String {
        switch self {
        case .malformedText(let offset, let reason):
            "not a valid Fernet token: \(reason) at byte \(offset) (expected base64url text as Fernet.encrypt writes it)"
        case .truncated(let reason):
            "truncated Fernet token: \(reason)"
        case .unsupportedVersion(let version):
            "unsupported Fernet version 0x\(String(version, radix: 16)) (only 0x80 exists)"
        case .tooLarge(let size):
            "Fernet token of \(size) bytes is over the \(FernetToken.maximumTextLength >> 40) TiB limit"
        case .invalidKey(let reason):
            "invalid Fernet key: \(reason)"
        case .hmacMismatch(let keysTried):
            "Fernet HMAC mismatch: wrong key, or the token was altered or truncated; \(keysTried == 1 ? "the key" : "none of the \(keysTried) keys") "
                + "does not authenticate it (Fernet cannot tell a wrong key from an altered file); nothing was decrypted"
        case .invalidPadding:
            "the Fernet token authenticated but its padding is invalid: it was written by a broken encoder"
        case .inputFailed(let reason):
            "cannot read the Fernet token: \(reason)"
        case .outputFailed(let reason):
            "cannot write output: \(reason)"
        }
    }
}

extension FernetError {
    /// Decodes a short run of token text (whole 4-character groups) found at `offset` in the file.
    static func decodingBase64(_ text: [UInt8], offset: Int) throws(FernetError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Base64.decodedCapacity(textCount: text.count))
        let written = text.withUnsafeBytes { text in
            output.withUnsafeMutableBytes { output in
                Result { () throws(Base64.DecodingError) -> Int in
                    try Base64.decodeGroups(text, into: output, isFinal: false, alphabet: .urlSafe)
                }
            }
        }
        switch written {
        case .success(let count):
            output.removeLast(output.count - count)
            return output
        case .failure(let error):
            throw .malformedText(offset: offset + error.offset, reason: error.reason)
        }
    }
}
