import ModelSealCore
import Testing

@testable import ModelFormats

@Suite("safetensors")
struct SafetensorsTests {
    @Test("reads the safetensors package's output, bit for bit")
    func readsReference() throws {
        let source = try Vectors.source("safetensors/small.safetensors")
        let file = try SafetensorsFile.read(from: source)
        let expected = try Vectors.json("safetensors/small.expected.json")
        guard case let .array(tensors)? = expected["tensors"] else { return }
        let byName = Dictionary(uniqueKeysWithValues: file.tensors.map { ($0.name, $0) })
        for want in tensors {
            let tensor = try #require(byName[want["name"]?.stringValue ?? ""])
            #expect(tensor.dtype?.rawValue == want["dtype"]?.stringValue)
            #expect(.array(tensor.shape.map { .integer($0) }) == want["shape"])
            let bytes = try source.read(at: tensor.dataRange.lowerBound, count: tensor.dataRange.count)
            #expect(Vectors.hex(bytes) == want["hex"]?.stringValue)
        }
        #expect(file.metadata.map(\.key).sorted() == ["format", "note"])
    }

    @Test("write then read round-trips, deterministic and aligned")
    func roundTrip() throws {
        let tensors = [
            SafetensorsFile.TensorToWrite(name: "b", dtype: .bfloat16, shape: [2], data: .bytes([1, 2, 3, 4])),
            SafetensorsFile.TensorToWrite(
                name: "a", dtype: .float64, shape: [1], data: .bytes([UInt8](repeating: 9, count: 8))),
        ]
        let first = MemorySink()
        try SafetensorsFile.write(tensors, metadata: [("k", "v")], to: first)
        let second = MemorySink()
        try SafetensorsFile.write(tensors.reversed(), metadata: [("k", "v")], to: second)
        #expect(first.bytes == second.bytes)
        let file = try SafetensorsFile.read(from: MemorySource(first.bytes))
        #expect(file.tensors.map(\.name) == ["a", "b"])
        #expect(file.dataOffset % 8 == 0)
        #expect(file.metadata.first?.value == "v")
    }

    func file(header: String, data: [UInt8]) -> MemorySource {
        let json = Array(header.utf8)
        var bytes: [UInt8] = []
        var length = UInt64(json.count)
        for _ in 0..<8 {
            bytes.append(UInt8(length & 0xFF))
            length >>= 8
        }
        return MemorySource(bytes + json + data)
    }

    @Test(
        "malformed headers are rejected",
        arguments: [
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#,  // size mismatch
            #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
            #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,  // gap at start
            #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#,  // trailing bytes (8 given)
            #"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#,  // overflow
            #"{"a":{"dtype":"X9","shape":[1],"data_offsets":[0,8]}}"#,
            #"{"__metadata__":{"k":1}}"#,
            #"[]"#,
        ])
    func malformed(header: String) {
        #expect(throws: ModelFormatsError.self) {
            try SafetensorsFile.read(from: file(header: header, data: [UInt8](repeating: 0, count: 8)))
        }
    }

    @Test("a huge declared header length is refused before allocating")
    func hugeHeader() {
        let bytes: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x7B]
        #expect(throws: ModelFormatsError.self) { try SafetensorsFile.read(from: MemorySource(bytes)) }
    }
}
