import ContainerEngine
import ModelSealCore

#if canImport(Glibc)
    import Glibc
#endif

/// Identity files (`-i`), recipients files (`-R`) and raw key sources (`--key-env`, `--key-file`).
///
/// Line rules (spec/CONTAINER.md §7): blank lines and lines starting with `#` are ignored; every other
/// line, trimmed of surrounding whitespace, is one entry. Files are capped at 1 MiB and 1000 entries.
public enum KeyFiles {
    /// Largest key, identity or recipients file read.
    public static let maximumFileSize = 1 << 20
    /// Most entries in one file.
    public static let maximumEntries = 1000

    /// The raw key named by an environment variable.
    public static func rawKey(environment name: String) throws(KeyError) -> RawKey {
        guard let value = getenv(name), value.pointee != 0 else { throw .environmentVariableUnset(name) }
        return try RawKeyText.decode(Array(String(cString: value).utf8))
    }

    /// The raw key in a file: 32 binary bytes, or its base64url text.
    public static func rawKey(file path: String) throws(KeyError) -> RawKey {
        try checkSecret(path, what: "raw key file")
        let bytes = try read(path)
        if bytes.count == 32 {
            do { return try RawKey(bytes: bytes) } catch { throw .malformedRawKey("\(error)") }
        }
        return try RawKeyText.decode(bytes)
    }

    /// Every identity in an identity file.
    public static func identities(file path: String) throws(KeyError) -> [X25519Identity] {
        try checkSecret(path, what: "identity file")
        var identities: [X25519Identity] = []
        for (line, text) in try entries(path) { identities.append(try KeyText.identity(text, line: line)) }
        return identities
    }

    /// Every recipient in a recipients file.
    public static func recipients(file path: String) throws(KeyError) -> [X25519Recipient] {
        var recipients: [X25519Recipient] = []
        for (_, text) in try entries(path) { recipients.append(try KeyText.recipient(text)) }
        return recipients
    }

    /// The text of a new identity file, as `keygen` writes it.
    public static func identityFile(for identity: X25519Identity, created: String) -> String {
        """
        # created: \(created)
        # recipient: \(KeyText.encode(identity.recipient))
        \(KeyText.encode(identity))

        """
    }

    /// Warns about (or, under `--strict`, refuses) a secret key file that group or others can read.
    static func checkSecret(_ path: String, what: String) throws(KeyError) {
        if let refusal = SecretFilePermissions.check(path, what: what) {
            throw .unreadableFile(path: path, reason: refusal)
        }
    }

    static func entries(_ path: String) throws(KeyError) -> [(line: Int, text: String)] {
        var result: [(Int, String)] = []
        let whitespace: Set<UInt8> = [0x20, 0x09, 0x0D]
        // Split on bytes: Swift treats "\r\n" as one Character, which would hide CRLF line ends.
        for (number, rawLine) in try read(path).split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.drop(while: { whitespace.contains($0) }).reversed().drop(while: {
                whitespace.contains($0)
            })
            .reversed()
            guard !line.isEmpty, line.first != UInt8(ascii: "#") else { continue }
            result.append((number + 1, String(decoding: line, as: UTF8.self)))
            guard result.count <= maximumEntries else { throw .tooManyEntries(path: path, limit: maximumEntries) }
        }
        guard !result.isEmpty else { throw .emptyKeyFile(path) }
        return result
    }

    /// Reads a whole small file ("-" is standard input), refusing anything over the cap.
    public static func read(_ path: String) throws(KeyError) -> [UInt8] {
        do throws(IOError) {
            return try SmallFile.read(path, limit: maximumFileSize)
        } catch {
            switch error {
            case .refused(_, let reason) where reason.hasPrefix("is larger"):
                throw .fileTooLarge(path: path, limit: maximumFileSize)
            case .refused(_, let reason): throw .unreadableFile(path: path, reason: reason)
            case .system(_, _, let code): throw .unreadableFile(path: path, reason: IOError.text(of: code))
            case .shortRead, .failed: throw .unreadableFile(path: path, reason: error.description)
            }
        }
    }
}
