import ArticleCompat
import ContainerEngine
import ModelSealCore

/// The view of the article's Fernet file (`save_encrypted_model`) for `modelseal inspect`: its
/// layout and unauthenticated timestamp, and how to open or migrate it. No key is used.
enum FernetFileInspection {
    static func report(path: String, source: ByteSource) throws -> FernetInspectionReport {
        // Length and header checks only: no key, no HMAC (that is `open`'s first pass).
        let token = try FernetFile(source)
        // The plaintext is 1 to 16 bytes shorter than its ciphertext (PKCS#7 padding).
        return FernetInspectionReport(
            path: path, format: "fernet", textBytes: token.textLength, ciphertextBytes: token.ciphertextLength,
            plaintextBytesMin: token.ciphertextLength - 16, plaintextBytesMax: token.ciphertextLength - 1,
            timestamp: token.timestamp, verified: false)
    }

    static func render(_ report: FernetInspectionReport) -> String {
        let created = utcTimestamp(seconds: report.timestamp)
        return """
            \(report.path): Fernet token (the article's format: AES-128-CBC + HMAC-SHA256, version 0x80)
              text:       \(report.textBytes) base64url characters
              ciphertext: \(report.ciphertextBytes) bytes (plaintext \(report.plaintextBytesMin)–\(report.plaintextBytesMax) bytes)
              written:    \(created) (UNVERIFIED: the HMAC that covers it needs the key)
              open it:    modelseal open --key-env MODEL_KEY -o model.pt \(report.path)
              migrate:    modelseal migrate --key-env MODEL_KEY -R customers.txt -o model.mseal \(report.path)

            """
    }
}

/// `inspect --json` for Fernet files.
struct FernetInspectionReport: Encodable {
    let path: String
    let format: String
    let textBytes: Int
    let ciphertextBytes: Int
    let plaintextBytesMin: Int
    let plaintextBytesMax: Int
    /// Seconds since 1970, as written (unauthenticated).
    let timestamp: UInt64
    /// Always false: nothing in a Fernet token is checked without its key.
    let verified: Bool
}
