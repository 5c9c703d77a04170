/// PEM armor (RFC 7468): `-----BEGIN LABEL-----`, base64 lines, `-----END LABEL-----`.
enum PEM {
    /// Largest PEM file read: keys are a few KiB.
    static let maximumLength = 64 << 10

    /// The label and DER bytes of the first PEM block in `text`.
    static func decode(_ text: String) throws(SigningError) -> (label: String, der: [UInt8]) {
        guard text.utf8.count <= maximumLength else { throw .unreadableKey("larger than 64 KiB: not a key file") }
        let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map { $0.trimmingCharacters() }
        guard let begin = lines.firstIndex(where: { $0.hasPrefix("-----BEGIN ") && $0.hasSuffix("-----") }) else {
            throw .unreadableKey("no '-----BEGIN ...-----' line: not a PEM file")
        }
        let label = String(lines[begin].dropFirst(11).dropLast(5))
        guard let end = lines[(begin + 1)...].firstIndex(of: "-----END \(label)-----") else {
            throw .unreadableKey("no '-----END \(label)-----' line: truncated PEM")
        }
        let body = lines[(begin + 1)..<end].joined()
        guard let der = Base64.decode(body), !der.isEmpty else { throw .unreadableKey("the PEM body is not base64") }
        return (label, der)
    }

    /// PEM text with 64-character lines and a final newline.
    static func encode(label: String, der: [UInt8]) -> String {
        let body = Base64.encode(der)
        var lines = ["-----BEGIN \(label)-----"]
        var index = body.startIndex
        while index < body.endIndex {
            let next = body.index(index, offsetBy: 64, limitedBy: body.endIndex) ?? body.endIndex
            lines.append(String(body[index..<next]))
            index = next
        }
        lines.append("-----END \(label)-----")
        return lines.joined(separator: "\n") + "\n"
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}

/// Standard base64 (RFC 4648 §4) with padding, strict.
enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = Int8(index) }
        return table
    }()

    static func encode(_ bytes: [UInt8], padded: Bool = true) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let remaining = min(3, bytes.count - index)
            var group = 0
            for offset in 0..<3 { group = group << 8 | (offset < remaining ? Int(bytes[index + offset]) : 0) }
            for position in 0..<4 {
                if position <= remaining {
                    output.append(alphabet[(group >> (18 - 6 * position)) & 63])
                } else if padded {
                    output.append(UInt8(ascii: "="))
                }
            }
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes padded or unpadded base64; `nil` on any character outside the alphabet.
    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var bytes = Array(text.utf8)
        while bytes.last == UInt8(ascii: "=") { bytes.removeLast() }
        guard bytes.count % 4 != 1 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 3 / 4)
        var accumulator = 0
        var bits = 0
        for character in bytes {
            let value = values[Int(character)]
            guard value >= 0 else { return nil }
            accumulator = (accumulator << 6) | Int(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8((accumulator >> bits) & 0xFF))
            }
        }
        return output
    }
}
