import ModelSealCore

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
        guard let der = Base64.decode(body, padding: .optional), !der.isEmpty else {
            throw .unreadableKey("the PEM body is not base64")
        }
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
