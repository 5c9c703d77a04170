/// Recognises what is being sealed from its first bytes, for the sealed metadata.
enum ContentType {
    static let sniffLength = 16

    static func detect(_ prefix: [UInt8]) -> String {
        if prefix.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return "pytorch-zip" }
        if prefix.starts(with: [0x93] + Array("NUMPY".utf8)) { return "numpy" }
        if prefix.starts(with: Array("gAAAAA".utf8)) { return "fernet-token" }
        if prefix.count >= 2, prefix[0] == 0x80, (2...5).contains(prefix[1]) { return "pytorch-legacy" }
        if prefix.count >= 9, prefix[8] == UInt8(ascii: "{"), prefix[4..<8].allSatisfy({ $0 == 0 }) { return "safetensors" }
        return "application/octet-stream"
    }
}
