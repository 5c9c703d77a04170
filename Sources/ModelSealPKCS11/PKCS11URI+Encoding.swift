extension PKCS11URI {
    /// The URI in one canonical form: path attributes in RFC 7512 §2.3's order, then the query; every byte
    /// outside the unreserved set percent-encoded with upper-case hex. Parsing it gives the same URI.
    public var canonicalText: String {
        var path: [String] = []
        func add(_ name: String, _ value: [UInt8]?) {
            if let value { path.append(name + "=" + PercentEncoding.encode(value)) }
        }
        add("id", id)
        add("library-description", libraryDescription.map { Array($0.utf8) })
        add("library-manufacturer", libraryManufacturer.map { Array($0.utf8) })
        add("library-version", libraryVersion.map { Array("\($0.major).\($0.minor)".utf8) })
        add("manufacturer", manufacturer.map { Array($0.utf8) })
        add("model", model.map { Array($0.utf8) })
        add("object", object.map { Array($0.utf8) })
        add("serial", serial.map { Array($0.utf8) })
        add("slot-description", slotDescription.map { Array($0.utf8) })
        add("slot-id", slotID.map { Array(String($0).utf8) })
        add("slot-manufacturer", slotManufacturer.map { Array($0.utf8) })
        add("token", token.map { Array($0.utf8) })
        add("type", type.map { Array($0.rawValue.utf8) })
        var query: [String] = []
        if let modulePath { query.append("module-path=" + PercentEncoding.encode(Array(modulePath.utf8))) }
        if let pinSource { query.append("pin-source=" + PercentEncoding.encode(Array(pinSource.utf8))) }
        return Self.scheme + path.joined(separator: ";") + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
    }
}

extension PercentEncoding {
    /// `bytes` with every byte outside `unreserved` written `%HH`.
    static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        for byte in bytes {
            if URICharacters.isUnreserved(byte) {
                output.append(byte)
            } else {
                output += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
