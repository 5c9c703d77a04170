import ModelSealCore
import Testing

@testable import ModelFormats

@Suite("NumPy")
struct NumPyTests {
    static let names = ["f4", "i8", "b1", "u2", "c16", "fortran"]

    @Test(".npy arrays read bit for bit", arguments: names)
    func npy(name: String) throws {
        let source = try Vectors.source("numpy/\(name).npy")
        let array = try NpyArray.read(from: source)
        let expected = try #require(try Vectors.json("numpy/arrays.expected.json")["arrays"]?[name])
        #expect(array.descriptor == expected["descr"]?.stringValue)
        #expect(.array(array.shape.map { .integer($0) }) == expected["shape"])
        #expect(array.fortranOrder == (expected["fortran"] == .bool(true)))
        let bytes = try source.read(at: array.dataRange.lowerBound, count: array.dataRange.count)
        #expect(Vectors.hex(bytes) == expected["hex"]?.stringValue)
    }

    @Test("stored and compressed .npz hold the same arrays", arguments: ["stored", "compressed"])
    func npz(name: String) throws {
        let archive = try NpzArchive.read(from: try Vectors.source("numpy/\(name).npz"))
        #expect(archive.members.map(\.name) == Self.names)
    }

    @Test("object arrays go through the restricted pickle machine")
    func objectArray() throws {
        let array = try NpyArray.read(from: try Vectors.source("numpy/object.npy"))
        #expect(array.isObjectArray)
        let globals = array.pickle?.globals.map(\.fullName) ?? []
        #expect(globals.contains("numpy.ndarray"))
        #expect(array.pickle?.globals.allSatisfy { $0.status == .unknown } == true)
    }

    @Test("write then read round-trips")
    func roundTrip() throws {
        let sink = MemorySink()
        try NpyArray.write(dtype: .int16, shape: [2, 2], data: [1, 0, 2, 0, 3, 0, 4, 0], to: sink)
        let array = try NpyArray.read(from: MemorySource(sink.bytes))
        #expect(array.dtype == .int16)
        #expect(array.shape == [2, 2])
        #expect(array.dataRange.lowerBound % 64 == 0)
    }

    @Test("hostile headers fail cleanly")
    func hostile() throws {
        let bytes = try Vectors.bytes("numpy/f4.npy")
        for length in 0..<bytes.count {
            #expect(throws: ModelFormatsError.self) {
                try NpyArray.read(from: MemorySource(Array(bytes[0..<length])))
            }
        }
        let header = Array(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775807, 9223372036854775807), }\n".utf8)
        let huge = NpyArray.magic + [1, 0, UInt8(header.count), 0] + header
        #expect(throws: ModelFormatsError.self) { try NpyArray.read(from: MemorySource(huge)) }
    }
}
