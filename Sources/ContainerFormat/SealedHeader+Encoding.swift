import ModelSealCore

extension SealedHeader {
    /// Length of the encoded header, MAC included.
    public var encodedLength: Int {
        SealedFormat.fixedPartLength + stanzas.reduce(0) { $0 + 3 + $1.body.count } + 1
            + extensions.reduce(0) { $0 + 6 + $1.body.count } + SealedFormat.macLength
    }

    /// The bytes the MAC covers: everything but the MAC itself.
    ///
    /// Validates the header against the same rules `parse` enforces, so a writer can never
    /// produce a header its own reader rejects.
    public func authenticatedBytes() throws(FormatError) -> [UInt8] {
        try validate()
        let length = encodedLength
        var writer = ByteWriter(capacity: length)
        writer.writeBytes(SealedFormat.magic)
        writer.writeUInt8(SealedFormat.version)
        writer.writeUInt8(suite.rawValue)
        writer.writeUInt8(chunkLog2)
        writer.writeUInt8(0)
        writer.writeBigEndian(UInt32(length))
        writer.writeBytes(payloadSalt)
        writer.writeUInt8(UInt8(stanzas.count))
        for stanza in stanzas {
            writer.writeUInt8(stanza.type.rawValue)
            writer.writeBigEndian(UInt16(stanza.body.count))
            writer.writeBytes(stanza.body)
        }
        writer.writeUInt8(UInt8(extensions.count))
        for item in extensions {
            writer.writeBigEndian(item.type.rawValue)
            writer.writeBigEndian(UInt32(item.body.count))
            writer.writeBytes(item.body)
        }
        return writer.bytes
    }

    /// The complete header: authenticated bytes followed by `mac`.
    public func encoded() throws(FormatError) -> [UInt8] {
        var bytes = try authenticatedBytes()
        bytes.append(contentsOf: mac)
        return bytes
    }

    private func validate() throws(FormatError) {
        guard (SealedFormat.minimumChunkLog2...SealedFormat.maximumChunkLog2).contains(chunkLog2) else {
            throw .chunkSizeOutOfRange(log2: chunkLog2)
        }
        guard (1...SealedFormat.maximumStanzaCount).contains(stanzas.count) else {
            throw .stanzaCountOutOfRange(stanzas.count)
        }
        for (index, stanza) in stanzas.enumerated() {
            try Self.check(stanza, index: index)
        }
        guard stanzas.filter({ $0.type == .scrypt }).count <= 1 else { throw .duplicateScryptStanza }
        guard extensions.count <= SealedFormat.maximumExtensionCount else {
            throw .extensionCountOutOfRange(extensions.count)
        }
        for (previous, next) in zip(extensions, extensions.dropFirst()) where previous.type >= next.type {
            throw .extensionsOutOfOrder(next.type)
        }
        guard payloadSalt.count == SealedFormat.payloadSaltLength, mac.isEmpty || mac.count == SealedFormat.macLength
        else { throw .headerLengthMismatch(declared: encodedLength, parsed: encodedLength) }
        guard encodedLength <= SealedFormat.maximumHeaderLength else {
            throw .headerLengthOutOfRange(encodedLength)
        }
    }

    private static func check(_ stanza: Stanza, index: Int) throws(FormatError) {
        guard stanza.body.count <= SealedFormat.maximumStanzaBodyLength else {
            throw .stanzaTooLarge(index: index, length: stanza.body.count)
        }
        if let expected = stanza.type.expectedBodyLength, expected != stanza.body.count {
            throw .invalidStanzaBody(type: stanza.type, length: stanza.body.count)
        }
    }

    /// Reads `header_length` from the first 16 bytes of a file, checking magic, version and caps.
    ///
    /// Lets a reader fetch exactly the header with one bounded read before parsing it.
    public static func declaredLength(prefix: [UInt8]) throws(FormatError) -> Int {
        var reader = ByteReader(prefix)
        guard let magic = reader.readBytes(SealedFormat.magic.count) else {
            throw prefix.isEmpty || !SealedFormat.magic.starts(with: prefix)
                ? .notSealedFile
                : .truncatedHeader(offset: prefix.count, needed: 16 - prefix.count)
        }
        guard magic.elementsEqual(SealedFormat.magic) else { throw .notSealedFile }
        guard let version = reader.readUInt8() else { throw .truncatedHeader(offset: 8, needed: 8) }
        guard version == SealedFormat.version else { throw .unsupportedVersion(version) }
        guard reader.skip(3), let length = reader.readBigEndian(UInt32.self) else {
            throw .truncatedHeader(offset: reader.offset, needed: 16 - reader.offset)
        }
        let declared = Int(length)
        guard (SealedFormat.minimumHeaderLength...SealedFormat.maximumHeaderLength).contains(declared) else {
            throw .headerLengthOutOfRange(declared)
        }
        return declared
    }

    /// Parses a complete header; `bytes` must be exactly `header_length` long.
    ///
    /// Strict: every field is checked, unknown critical extensions are refused, and the parse
    /// must end exactly at the MAC. Canonical: `try parse(b).encoded() == b` for every accepted `b`.
    public static func parse(_ bytes: [UInt8]) throws(FormatError) -> SealedHeader {
        let declared = try declaredLength(prefix: Array(bytes.prefix(16)))
        guard declared == bytes.count else {
            throw declared > bytes.count
                ? .truncatedHeader(offset: bytes.count, needed: declared - bytes.count)
                : .headerLengthMismatch(declared: declared, parsed: bytes.count)
        }
        // Everything but the MAC; running out inside it means the declared length is too short.
        guard var reader = ByteReader(bytes, range: 0..<(declared - SealedFormat.macLength)) else {
            throw .headerLengthOutOfRange(declared)
        }
        func short(_ needed: Int) -> FormatError {
            .headerLengthMismatch(declared: declared, parsed: reader.position + needed + SealedFormat.macLength)
        }
        reader.skip(9)
        guard let suiteByte = reader.readUInt8(), let chunkLog2 = reader.readUInt8(),
            let reserved = reader.readUInt8()
        else { throw short(3) }
        guard let suite = CipherSuite(rawValue: suiteByte) else { throw .unsupportedSuite(suiteByte) }
        guard (SealedFormat.minimumChunkLog2...SealedFormat.maximumChunkLog2).contains(chunkLog2) else {
            throw .chunkSizeOutOfRange(log2: chunkLog2)
        }
        guard reserved == 0 else { throw .nonZeroReserved(offset: 11) }
        reader.skip(4)
        guard let salt = reader.readBytes(SealedFormat.payloadSaltLength), let stanzaCount = reader.readUInt8() else {
            throw short(SealedFormat.payloadSaltLength + 1)
        }
        guard (1...SealedFormat.maximumStanzaCount).contains(Int(stanzaCount)) else {
            throw .stanzaCountOutOfRange(Int(stanzaCount))
        }
        var stanzas: [Stanza] = []
        for index in 0..<Int(stanzaCount) {
            guard let type = reader.readUInt8(), let length = reader.readBigEndian(UInt16.self) else { throw short(3) }
            guard Int(length) <= SealedFormat.maximumStanzaBodyLength else {
                throw .stanzaTooLarge(index: index, length: Int(length))
            }
            guard let body = reader.readBytes(Int(length)) else { throw short(Int(length)) }
            let stanza = Stanza(type: StanzaType(rawValue: type), body: Array(body))
            try check(stanza, index: index)
            stanzas.append(stanza)
        }
        guard stanzas.filter({ $0.type == .scrypt }).count <= 1 else { throw .duplicateScryptStanza }
        guard let extensionCount = reader.readUInt8() else { throw short(1) }
        guard Int(extensionCount) <= SealedFormat.maximumExtensionCount else {
            throw .extensionCountOutOfRange(Int(extensionCount))
        }
        var extensions: [HeaderExtension] = []
        for _ in 0..<Int(extensionCount) {
            guard let rawType = reader.readBigEndian(UInt16.self), let length = reader.readBigEndian(UInt32.self) else {
                throw short(6)
            }
            let type = ExtensionType(rawValue: rawType)
            if let previous = extensions.last, previous.type >= type { throw .extensionsOutOfOrder(type) }
            guard let body = reader.readBytes(Int(length)) else { throw short(Int(length)) }
            extensions.append(HeaderExtension(type: type, body: Array(body)))
        }
        guard reader.isAtEnd else {
            throw .headerLengthMismatch(declared: declared, parsed: reader.position + SealedFormat.macLength)
        }
        if let required = extensions.first(where: { $0.type == .signatureRequired }) {
            _ = try RequiredSigners.keyIDs(in: required.body)
        }
        // Checked after the structure so a malformed header is reported as malformed first.
        if let unknown = extensions.first(where: { $0.type.isCritical && !ExtensionType.implemented.contains($0.type) })
        {
            throw .unknownCriticalExtension(unknown.type)
        }
        return SealedHeader(
            suite: suite, chunkLog2: chunkLog2, payloadSalt: Array(salt), stanzas: stanzas,
            extensions: extensions, mac: Array(bytes[(declared - SealedFormat.macLength)...]))
    }
}
