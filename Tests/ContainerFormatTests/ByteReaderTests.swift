import ContainerFormat
import ModelSealCore
import Testing

@Suite("ByteReader")
struct ByteReaderTests {
    @Test func readsBigAndLittleEndian() throws {
        var reader = ByteReader([0x01, 0x02, 0x03, 0x04, 0x05, 0x06])
        #expect(reader.readBigEndian(UInt16.self) == 0x0102)
        #expect(reader.readLittleEndian(UInt16.self) == 0x0403)
        #expect(reader.remaining == 2)
    }

    @Test func shortReadsReturnNilAndDoNotMove() {
        var reader = ByteReader([0x01, 0x02, 0x03])
        #expect(reader.readBigEndian(UInt32.self) == nil)
        #expect(reader.position == 0)
        #expect(reader.readBytes(4) == nil)
        #expect(reader.readBytes(-1) == nil)
        let skipped = reader.skip(4)
        #expect(!skipped)
        #expect(reader.position == 0)
        #expect(reader.readBytes(3).map(Array.init) == [1, 2, 3])
        #expect(reader.isAtEnd)
        #expect(reader.readUInt8() == nil)
    }

    @Test func windowKeepsAbsolutePositions() throws {
        var reader = try #require(ByteReader([9, 9, 1, 2, 9], range: 2..<4))
        #expect(reader.position == 2)
        #expect(reader.readBytes(3) == nil)
        #expect(reader.readBytes(2).map(Array.init) == [1, 2])
        #expect(ByteReader([1], range: 0..<2) == nil)
    }

    @Test func writerMirrorsReader() {
        var writer = ByteWriter()
        writer.writeBigEndian(UInt32(0xDEAD_BEEF))
        writer.writeLittleEndian(UInt16(0x1234))
        writer.writeUInt8(7)
        var reader = ByteReader(writer.bytes)
        #expect(reader.readBigEndian(UInt32.self) == 0xDEAD_BEEF)
        #expect(reader.readLittleEndian(UInt16.self) == 0x1234)
        #expect(reader.readUInt8() == 7)
        #expect(reader.isAtEnd)
    }
}
