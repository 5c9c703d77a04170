import ArticleCompat
import ModelFormats

/// The sealed metadata's `content-type`: what is being sealed, from its first bytes, through the
/// one sniffer (`ModelFileFormat.sniff`) and Fernet's token check.
enum ContentType {
    static let sniffLength = ModelFileFormat.sniffLength

    static func detect(_ prefix: [UInt8]) -> String {
        if FernetToken.looksLikeToken(prefix) { return "fernet-token" }
        switch ModelFileFormat.sniff(prefix, size: Int.max) {
        case .npy?: return "numpy"
        case let format?: return format.rawValue
        case nil: return "application/octet-stream"
        }
    }
}
