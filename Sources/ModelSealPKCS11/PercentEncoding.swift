/// RFC 3986 percent-decoding with the character classes of RFC 7512 §2.3.
enum PercentEncoding {
    /// The bytes `value` stands for; every byte not in `allowed` must be written `%HH`.
    static func decode(_ value: ArraySlice<UInt8>, allowed: (UInt8) -> Bool, attribute: String) throws(PKCS11Error)
        -> [UInt8]
    {
        var output: [UInt8] = []
        output.reserveCapacity(value.count)
        var index = value.startIndex
        while index < value.endIndex {
            let byte = value[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < value.endIndex,
                    let high = hexValue(value[index + 1]), let low = hexValue(value[index + 2])
                else { throw .malformedURI("\(attribute)=: '%' must be followed by two hex digits") }
                output.append(high << 4 | low)
                index += 3
            } else {
                guard allowed(byte) else {
                    let shown =
                        byte >= 0x21 && byte < 0x7F
                        ? "'\(Character(UnicodeScalar(byte)))'" : "a space or non-ASCII byte"
                    throw .malformedURI(
                        "\(attribute)= contains \(shown): percent-encode it (%\(String(byte, radix: 16, uppercase: true)))"
                    )
                }
                output.append(byte)
                index += 1
            }
        }
        return output
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}

/// The character classes of RFC 7512 §2.3.
enum URICharacters {
    /// `unreserved` of RFC 3986: ALPHA / DIGIT / "-" / "." / "_" / "~".
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            true
        default: false
        }
    }

    /// `pk11-res-avail`: ":" / "[" / "]" / "@" / "!" / "$" / "'" / "(" / ")" / "*" / "+" / "," / "=".
    static func isReservedAvailable(_ byte: UInt8) -> Bool { Array(":[]@!$'()*+,=".utf8).contains(byte) }

    /// A path attribute's value: `pk11-pchar` = unreserved / pk11-path-res-avail (res-avail and "&").
    static func pathValue(_ byte: UInt8) -> Bool {
        isUnreserved(byte) || isReservedAvailable(byte) || byte == UInt8(ascii: "&")
    }

    /// A query attribute's value: `pk11-qchar` = unreserved / pk11-query-res-avail (res-avail, "/", "?", "|").
    static func queryValue(_ byte: UInt8) -> Bool {
        isUnreserved(byte) || isReservedAvailable(byte) || Array("/?|".utf8).contains(byte)
    }

    /// An attribute name: letters, digits and "-" (the standard names; vendor names add "x-").
    static func isAttributeName(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x61...0x7A, 0x41...0x5A, 0x30...0x39, UInt8(ascii: "-"): true
        default: false
        }
    }
}
