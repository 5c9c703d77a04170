import ContainerEngine
import ModelSealCore

extension ModelOpener {
    /// Largest plaintext `plaintext(ofFileAt:)` holds in memory.
    public static let maxInMemoryPlaintext = 1 << 30

    /// The whole plaintext of the sealed file at `path`, decrypted in memory after every check (`prepare`,
    /// then every chunk against the signed list): what `modelseal scan` with a key reads. Nothing is
    /// written to disk; on failure the buffer is zeroed and nothing is returned.
    public func plaintext(ofFileAt path: String) throws -> [UInt8] {
        let prepared = try prepare(try InputFile(path: path))
        let length = prepared.plaintextLength
        guard length <= Self.maxInMemoryPlaintext else {
            throw SealError.inputFailed(
                "plaintext of \(length) bytes is larger than the \(Self.maxInMemoryPlaintext) bytes scanned in memory")
        }
        var bytes = [UInt8](repeating: 0, count: length)
        try bytes.withUnsafeMutableBytes { buffer in try prepared.decrypt(into: buffer) }
        return bytes
    }
}
