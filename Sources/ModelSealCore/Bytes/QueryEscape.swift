/// A URL query-string value: every byte but RFC 3986's unreserved characters percent-encoded (`%hh`).
public enum QueryEscape {
    public static func encode(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            let safe =
                (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || "-_.~".utf8.contains(byte)
            if safe {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + Hex.encode([byte])
            }
        }
        return out
    }
}
