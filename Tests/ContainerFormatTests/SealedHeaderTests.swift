import ContainerFormat
import Testing

@Suite("Sealed header encoding")
struct SealedHeaderTests {
    static func sample(extensions: [HeaderExtension] = []) -> SealedHeader {
        SealedHeader(
            suite: .aes256GCM, chunkLog2: 20, payloadSalt: Array(repeating: 0xAB, count: 32),
            stanzas: [
                Stanza(type: .rawKey, body: Array(repeating: 1, count: 80)),
                Stanza(type: StanzaType(rawValue: 0x42), body: [1, 2, 3]),
                Stanza(type: .x25519HPKE, body: Array(repeating: 3, count: 80)),
            ],
            extensions: extensions, mac: Array(repeating: 0xCD, count: 32))
    }

    @Test func roundTripsCanonically() throws {
        let header = Self.sample(extensions: [
            HeaderExtension(type: .sealedMetadata, body: [1, 2, 3]),
            HeaderExtension(type: ExtensionType(rawValue: 0x0007), body: []),
        ])
        let bytes = try header.encoded()
        #expect(bytes.count == header.encodedLength)
        let parsed = try SealedHeader.parse(bytes)
        #expect(parsed == header)
        #expect(try parsed.encoded() == bytes)
        #expect(try SealedHeader.declaredLength(prefix: Array(bytes.prefix(16))) == bytes.count)
    }

    @Test func everyTruncationIsRejected() throws {
        let bytes = try Self.sample().encoded()
        for length in 0..<bytes.count {
            #expect(throws: FormatError.self) { try SealedHeader.parse(Array(bytes.prefix(length))) }
        }
    }

    @Test func everyDeclaredLengthButTheTrueOneIsRejected() throws {
        let bytes = try Self.sample().encoded()
        for delta in [-40, -1, 1, 7] {
            var edited = bytes
            let length = UInt32(bytes.count + delta)
            edited[12...15] = [
                UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF),
            ]
            if delta > 0 { edited += Array(repeating: 0, count: delta) } else { edited.removeLast(-delta) }
            #expect(throws: FormatError.self) { try SealedHeader.parse(edited) }
        }
    }

    @Test(arguments: [
        (8, UInt8(2), FormatError.unsupportedVersion(2)),
        (9, UInt8(9), FormatError.unsupportedSuite(9)),
        (10, UInt8(15), FormatError.chunkSizeOutOfRange(log2: 15)),
        (10, UInt8(25), FormatError.chunkSizeOutOfRange(log2: 25)),
        (11, UInt8(1), FormatError.nonZeroReserved(offset: 11)),
        (48, UInt8(0), FormatError.stanzaCountOutOfRange(0)),
        (0, UInt8(0x88), FormatError.notSealedFile),
    ])
    func fixedFieldRules(offset: Int, value: UInt8, expected: FormatError) throws {
        var bytes = try Self.sample().encoded()
        bytes[offset] = value
        #expect(throws: expected) { try SealedHeader.parse(bytes) }
    }

    @Test func unknownCriticalExtensionIsRefusedAndNonCriticalKept() throws {
        let critical = Self.sample(extensions: [HeaderExtension(type: ExtensionType(rawValue: 0x8042), body: [])])
        #expect(throws: FormatError.unknownCriticalExtension(ExtensionType(rawValue: 0x8042))) {
            try SealedHeader.parse(try critical.encoded())
        }
        let reserved = Self.sample(extensions: [HeaderExtension(type: .license, body: [])])
        #expect(throws: FormatError.unknownCriticalExtension(.license)) {
            try SealedHeader.parse(try reserved.encoded())
        }
    }

    @Test func writerRefusesWhatTheReaderWouldReject() {
        var header = Self.sample()
        header.stanzas.append(Stanza(type: .scrypt, body: Array(repeating: 0, count: 83)))
        header.stanzas.append(Stanza(type: .scrypt, body: Array(repeating: 0, count: 83)))
        #expect(throws: FormatError.duplicateScryptStanza) { try header.encoded() }
        header = Self.sample(extensions: [
            HeaderExtension(type: ExtensionType(rawValue: 5), body: []),
            HeaderExtension(type: .sealedMetadata, body: []),
        ])
        #expect(throws: FormatError.extensionsOutOfOrder(.sealedMetadata)) { try header.encoded() }
        header = Self.sample()
        header.stanzas[0].body.removeLast()
        #expect(throws: FormatError.invalidStanzaBody(type: .rawKey, length: 79)) { try header.encoded() }
        header = Self.sample()
        header.stanzas = []
        #expect(throws: FormatError.stanzaCountOutOfRange(0)) { try header.encoded() }
    }

    @Test func oversizedStanzaIsRejectedBeforeReadingIt() throws {
        var bytes = try Self.sample().encoded()
        // Stanza 0 starts at 49: type, then the body length.
        bytes[50] = 0xFF
        bytes[51] = 0xFF
        #expect(throws: FormatError.stanzaTooLarge(index: 0, length: 0xFFFF)) { try SealedHeader.parse(bytes) }
    }
}

@Suite("Payload layout")
struct PayloadLayoutTests {
    let chunk = 1 << 16

    @Test func derivesChunksFromLength() throws {
        let sealed = chunk + 16
        #expect(try PayloadLayout(chunkSize: chunk, payloadLength: 16).plaintextLength == 0)
        #expect(try PayloadLayout(chunkSize: chunk, payloadLength: 17).plaintextLength == 1)
        #expect(try PayloadLayout(chunkSize: chunk, payloadLength: sealed).chunkCount == 1)
        let two = try PayloadLayout(chunkSize: chunk, payloadLength: sealed + 17)
        #expect(two.chunkCount == 2)
        #expect(two.plaintextLength == chunk + 1)
        #expect(two.offset(ofChunk: 1) == sealed)
        #expect(two.length(ofChunk: 1) == 17)
    }

    @Test(arguments: [0, 1, 15, 65552 + 1, 65552 + 15, 65552 + 16])
    func rejectsLengthsNoWriterProduces(length: Int) {
        #expect(throws: FormatError.truncatedPayload(payloadLength: length)) {
            try PayloadLayout(chunkSize: 1 << 16, payloadLength: length)
        }
    }

    @Test func trailerFraming() throws {
        #expect(try TrailerFraming.trailerLength(footer: Array(repeating: 0, count: 12), bytesAfterHeader: 100) == 0)
        let footer: [UInt8] = [0, 0, 0, 10] + SealedFormat.trailerMagic
        #expect(try TrailerFraming.trailerLength(footer: footer, bytesAfterHeader: 100) == 22)
        #expect(throws: FormatError.malformedTrailer) {
            try TrailerFraming.trailerLength(footer: footer, bytesAfterHeader: 30)
        }
    }
}
