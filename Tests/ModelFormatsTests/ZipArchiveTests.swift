import ModelSealCore
import Testing

@testable import ModelFormats

@Suite("Zip walker and writer")
struct ZipArchiveTests {
    /// A two-member archive from our writer.
    func sample() throws -> [UInt8] {
        let sink = MemorySink()
        let zip = ZipWriter(sink: sink)
        try zip.addEntry(name: "a/data.pkl", bytes: Array("hello".utf8))
        try zip.addEntry(name: "a/data/0", bytes: [UInt8](repeating: 7, count: 100))
        try zip.finish()
        return sink.bytes
    }

    @Test("writer output reads back, data aligned to 64 bytes, CRCs right")
    func roundTrip() throws {
        let archive = try ZipArchive(source: MemorySource(try sample()))
        #expect(archive.entries.map(\.name) == ["a/data.pkl", "a/data/0"])
        #expect(archive.diagnostics.isEmpty)
        for entry in archive.entries {
            #expect(entry.dataOffset % 64 == 0)
            #expect(try archive.verifyCRC(entry) == nil)
        }
        #expect(try archive.read(archive.entries[0], limit: 10) == Array("hello".utf8))
    }

    @Test("torch's own archives pass every rule")
    func torchArchive() throws {
        let archive = try ZipArchive(source: try Vectors.source("torch/every_dtype.pt"))
        #expect(archive.diagnostics.isEmpty)
        #expect(archive.entries.contains { $0.name.hasSuffix("/data.pkl") })
        for entry in archive.entries { #expect(try archive.verifyCRC(entry) == nil) }
    }

    @Test("data before the archive is rejected and reported")
    func prefixed() throws {
        let bytes = Array("MZ-not-a-zip".utf8) + (try sample())
        #expect(throws: ModelFormatsError.self) { try ZipArchive(source: MemorySource(bytes)) }
        let lenient = try ZipArchive(source: MemorySource(bytes), strict: false)
        #expect(lenient.diagnostics.contains { $0.kind == .dataBeforeArchive })
    }

    @Test("data after the archive is rejected")
    func suffixed() throws {
        let bytes = (try sample()) + Array("trailer".utf8)
        let error = #expect(throws: ModelFormatsError.self) { try ZipArchive(source: MemorySource(bytes)) }
        #expect(error?.description.contains("follow the end record") == true)
    }

    @Test("duplicate names are rejected")
    func duplicates() throws {
        var bytes = try sample()
        // Rename the second member "a/data/0" to "a/data.p" + "kl"-length-preserving twin in both headers.
        let from = Array("a/data/0".utf8)
        let to = Array("a/data.p".utf8)
        var index = 0
        while index + from.count <= bytes.count {
            if Array(bytes[index..<(index + from.count)]) == from {
                bytes.replaceSubrange(index..<(index + from.count), with: to)
            }
            index += 1
        }
        // Now make the first member's name match too ("a/data.pkl" -> "a/data.p" needs equal length): patch lengths instead.
        let lenient = try ZipArchive(source: MemorySource(bytes), strict: false)
        #expect(lenient.entries.count == 2)
        // Build a real duplicate with the writer disabled check: two central entries pointing at one name.
        let sink = MemorySink()
        let zip = ZipWriter(sink: sink)
        try zip.addEntry(name: "x", bytes: [1])
        try zip.addEntry(name: "y", bytes: [2])
        try zip.finish()
        var twin = sink.bytes
        for position in twin.indices
        where twin[position] == UInt8(ascii: "y") && position > 0 && twin[position - 1] != 0x5A {
            twin[position] = UInt8(ascii: "x")
        }
        let error = #expect(throws: ModelFormatsError.self) { try ZipArchive(source: MemorySource(twin)) }
        #expect(error?.description.contains("twice") == true)
    }

    @Test("local header disagreeing with the central directory is reported")
    func localCentralMismatch() throws {
        var bytes = try sample()
        // The first local header's name starts at offset 30: change one letter there only.
        bytes[30] = UInt8(ascii: "b")
        let lenient = try ZipArchive(source: MemorySource(bytes), strict: false)
        #expect(lenient.diagnostics.contains { $0.kind == .localCentralMismatch })
        #expect(throws: ModelFormatsError.self) { try ZipArchive(source: MemorySource(bytes)) }
    }

    @Test("a wrong CRC is a warning, not an error")
    func crcMismatch() throws {
        var bytes = try sample()
        let archive = try ZipArchive(source: MemorySource(bytes))
        bytes[archive.entries[1].dataOffset] ^= 0xFF
        let corrupted = try ZipArchive(source: MemorySource(bytes))
        let warning = try corrupted.verifyCRC(corrupted.entries[1])
        #expect(warning?.severity == .warning)
        #expect(warning?.kind == .crcMismatch)
    }

    @Test("every truncation errors cleanly")
    func truncations() throws {
        let bytes = try sample()
        for length in 0..<bytes.count {
            #expect(throws: ModelFormatsError.self) {
                try ZipArchive(source: MemorySource(Array(bytes[0..<length])))
            }
        }
    }

    @Test("every single-byte corruption of the directories errors or reads consistently")
    func corruptions() throws {
        let bytes = try sample()
        let archive = try ZipArchive(source: MemorySource(bytes))
        for position in archive.centralDirectoryOffset..<bytes.count {
            var corrupted = bytes
            corrupted[position] ^= 0x5A
            if let walked = try? ZipArchive(source: MemorySource(corrupted)) {
                for entry in walked.entries { #expect(entry.dataRange.upperBound <= corrupted.count) }
            }
        }
    }

    @Test("compressed members inflate (np.savez_compressed)")
    func inflate() throws {
        let archive = try ZipArchive(source: try Vectors.source("numpy/compressed.npz"))
        let entry = try #require(archive.entries.first { $0.method == 8 })
        let bytes = try archive.read(entry, limit: 1 << 20)
        #expect(bytes.count == entry.uncompressedSize)
        #expect(CRC32.checksum(bytes) == entry.crc32)
    }

    @Test("unsafe member names: absolute, parent-relative, NUL")
    func unsafeNames() {
        for name in ["/etc/passwd", "..", "../x", "a/../b", "a/..", "a\u{0}b"] {
            #expect(isUnsafeMemberName(ArraySlice(name.utf8)), "\(name)")
        }
        for name in ["archive/data.pkl", "a/.../b", "a/.b", "..a/b", "a/b..", "./x", ""] {
            #expect(!isUnsafeMemberName(ArraySlice(name.utf8)), "\(name)")
        }
    }

    @Test("CRC-32 matches the standard check value")
    func crcCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }
}
