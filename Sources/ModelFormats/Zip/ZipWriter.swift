import ModelSealCore

/// Writes a stored (uncompressed) zip archive the way `torch.save` does.
///
/// Layout per member: local header with flag bit 3 (sizes and CRC deferred to a data
/// descriptor) and an `FB` padding extra field so data starts on an `alignment` boundary;
/// the data; a signed data descriptor. Then the central directory, a ZIP64 end record and
/// locator (always, like torch's miniz writer) and the classic end record.
public final class ZipWriter {
    /// Extra-field id torch uses for alignment padding ("FB").
    static let paddingExtraID: UInt16 = 0x4246
    static let zip64ExtraID: UInt16 = 0x0001

    let sink: any ByteSink
    private let alignment: Int
    private var central = ByteWriter()
    private var count = 0
    private var names: Set<String> = []
    private var current: (name: [UInt8], headerOffset: Int, dataOffset: Int, wide: Bool)?
    private var crc = CRC32()
    var written = 0

    /// Starts an archive on `sink` (which should be empty) aligning member data to `alignment` bytes.
    public init(sink: any ByteSink, alignment: Int = 64) {
        self.sink = sink
        self.alignment = max(1, alignment)
    }

    /// Writes the local header of a new member; `expectedSize` picks 64-bit sizes when needed.
    public func beginEntry(name: String, expectedSize: Int) throws {
        guard current == nil else {
            throw ModelFormatsError.unsupported("zip member begun before the previous one ended")
        }
        guard names.insert(name).inserted else {
            throw ModelFormatsError.unsupported("duplicate zip member name \(name)")
        }
        let nameBytes = Array(name.utf8)
        guard nameBytes.count <= 0xFFFF else { throw ModelFormatsError.unsupported("zip member name too long") }
        let wide = expectedSize >= 0xFFFF_FFFF
        let headerOffset = sink.offset
        var header = ByteWriter()
        header.writeLittleEndian(ZipLocalHeader.signature)
        header.writeLittleEndian(UInt16(wide ? 45 : 0))  // version needed
        header.writeLittleEndian(UInt16(0x0808))  // data descriptor + UTF-8 names
        header.writeLittleEndian(UInt16(0))  // stored
        header.writeLittleEndian(UInt32(0))  // time, date
        header.writeLittleEndian(UInt32(0))  // CRC, deferred
        header.writeLittleEndian(UInt32(wide ? 0xFFFF_FFFF : 0))
        header.writeLittleEndian(UInt32(wide ? 0xFFFF_FFFF : 0))
        header.writeLittleEndian(UInt16(nameBytes.count))
        var extra = ByteWriter()
        if wide {
            extra.writeLittleEndian(Self.zip64ExtraID)
            extra.writeLittleEndian(UInt16(16))
            extra.writeLittleEndian(UInt64(0))
            extra.writeLittleEndian(UInt64(0))
        }
        let unpadded = headerOffset + 30 + nameBytes.count + extra.count
        var padding = (alignment - unpadded % alignment) % alignment
        if padding > 0 && padding < 4 { padding += alignment }
        if padding > 0 {
            extra.writeLittleEndian(Self.paddingExtraID)
            extra.writeLittleEndian(UInt16(padding - 4))
            extra.writeBytes(repeatElement(UInt8(ascii: "Z"), count: padding - 4))
        }
        header.writeLittleEndian(UInt16(extra.count))
        header.writeBytes(nameBytes)
        header.writeBytes(extra.bytes)
        try sink.write(header.bytes)
        current = (nameBytes, headerOffset, sink.offset, wide)
        crc = CRC32()
        written = 0
    }

    /// Appends member data; with `updatingCRC: false` the caller computes the CRC and passes it to `endEntry(crc:)`.
    public func write(_ buffer: UnsafeRawBufferPointer, updatingCRC: Bool = true) throws {
        if updatingCRC { crc.update(buffer) }
        written += buffer.count
        try sink.write(buffer)
    }

    /// Appends member data.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Writes the data descriptor and records the central-directory entry (`crc` overrides the running one).
    public func endEntry(crc externalCRC: UInt32? = nil) throws {
        guard let entry = current else { throw ModelFormatsError.unsupported("zip member ended twice") }
        current = nil
        if let externalCRC { crc = CRC32(value: externalCRC) }
        let wide = entry.wide || written >= 0xFFFF_FFFF
        var descriptor = ByteWriter()
        descriptor.writeLittleEndian(ZipDataDescriptor.signature)
        descriptor.writeLittleEndian(crc.value)
        if wide {
            descriptor.writeLittleEndian(UInt64(written))
            descriptor.writeLittleEndian(UInt64(written))
        } else {
            descriptor.writeLittleEndian(UInt32(written))
            descriptor.writeLittleEndian(UInt32(written))
        }
        try sink.write(descriptor.bytes)

        let bigSize = written >= 0xFFFF_FFFF
        let bigOffset = entry.headerOffset >= 0xFFFF_FFFF
        var extra = ByteWriter()
        if bigSize || bigOffset {
            extra.writeLittleEndian(Self.zip64ExtraID)
            extra.writeLittleEndian(UInt16((bigSize ? 16 : 0) + (bigOffset ? 8 : 0)))
            if bigSize {
                extra.writeLittleEndian(UInt64(written))
                extra.writeLittleEndian(UInt64(written))
            }
            if bigOffset { extra.writeLittleEndian(UInt64(entry.headerOffset)) }
        }
        central.writeLittleEndian(ZipCentralEntry.signature)
        central.writeLittleEndian(UInt16(0))  // made by
        central.writeLittleEndian(UInt16(entry.wide || bigSize || bigOffset ? 45 : 0))
        central.writeLittleEndian(UInt16(0x0808))
        central.writeLittleEndian(UInt16(0))
        central.writeLittleEndian(UInt32(0))
        central.writeLittleEndian(crc.value)
        central.writeLittleEndian(bigSize ? UInt32(0xFFFF_FFFF) : UInt32(written))
        central.writeLittleEndian(bigSize ? UInt32(0xFFFF_FFFF) : UInt32(written))
        central.writeLittleEndian(UInt16(entry.name.count))
        central.writeLittleEndian(UInt16(extra.count))
        central.writeLittleEndian(UInt16(0))  // comment
        central.writeLittleEndian(UInt16(0))  // disk
        central.writeLittleEndian(UInt16(0))  // internal attributes
        central.writeLittleEndian(UInt32(0))  // external attributes
        central.writeLittleEndian(bigOffset ? UInt32(0xFFFF_FFFF) : UInt32(entry.headerOffset))
        central.writeBytes(entry.name)
        central.writeBytes(extra.bytes)
        count += 1
    }

    /// Adds a whole member at once.
    public func addEntry(name: String, bytes: [UInt8]) throws {
        try beginEntry(name: name, expectedSize: bytes.count)
        try write(bytes)
        try endEntry()
    }

    /// Writes the central directory and end records.
    public func finish() throws {
        guard current == nil else { throw ModelFormatsError.unsupported("zip finished with a member still open") }
        let directoryOffset = sink.offset
        try sink.write(central.bytes)
        let zip64Offset = sink.offset
        var end = ByteWriter()
        end.writeLittleEndian(Zip64EndRecord.signature)
        end.writeLittleEndian(UInt64(44))
        end.writeLittleEndian(UInt16(45))
        end.writeLittleEndian(UInt16(45))
        end.writeLittleEndian(UInt32(0))
        end.writeLittleEndian(UInt32(0))
        end.writeLittleEndian(UInt64(count))
        end.writeLittleEndian(UInt64(count))
        end.writeLittleEndian(UInt64(central.count))
        end.writeLittleEndian(UInt64(directoryOffset))
        end.writeLittleEndian(Zip64Locator.signature)
        end.writeLittleEndian(UInt32(0))
        end.writeLittleEndian(UInt64(zip64Offset))
        end.writeLittleEndian(UInt32(1))
        end.writeLittleEndian(ZipEndRecord.signature)
        end.writeLittleEndian(UInt16(0))
        end.writeLittleEndian(UInt16(0))
        end.writeLittleEndian(UInt16(min(count, 0xFFFF)))
        end.writeLittleEndian(UInt16(min(count, 0xFFFF)))
        end.writeLittleEndian(UInt32(min(central.count, 0xFFFF_FFFF)))
        end.writeLittleEndian(UInt32(min(directoryOffset, 0xFFFF_FFFF)))
        end.writeLittleEndian(UInt16(0))
        try sink.write(end.bytes)
    }
}

extension ZipWriter {
    /// Whether member data can be copied by the kernel (`transfer`): the archive goes to a file.
    var canTransfer: Bool { (sink as? OutputFile)?.canTransfer ?? false }

    /// Appends `range` of `source` to the current member with sendfile(2); the caller supplies the CRC.
    func transfer(from source: InputFile, range: Range<Int>) throws {
        guard let file = sink as? OutputFile, file.canTransfer else {
            throw ModelFormatsError.unsupported("kernel copy into a non-file sink")
        }
        try file.transfer(from: source, range: range)
        written += range.count
    }

    /// Ends a member whose data went through `write(_:updatingCRC: false)`.
    func endEntryAfterCopy(crc: UInt32) throws {
        try endEntry(crc: crc)
    }
}
