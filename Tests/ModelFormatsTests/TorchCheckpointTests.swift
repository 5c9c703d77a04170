import ModelSealCore
import Testing

@testable import ModelFormats

@Suite("PyTorch checkpoints")
struct TorchCheckpointTests {
    static let vectors = [
        "every_dtype", "shared_views", "legacy", "legacy_key_order", "cnn_state_dict", "with_metadata", "parameters",
    ]

    @Test("reader equals torch's view of every tensor, bit for bit", arguments: vectors)
    func matchesTorch(name: String) throws {
        let source = try Vectors.source("torch/\(name).pt")
        let checkpoint = try TorchCheckpoint.read(from: source)
        let expected = try Vectors.json("torch/\(name).expected.json")
        guard case let .array(tensors)? = expected["tensors"] else {
            Issue.record("no tensors in expected file")
            return
        }
        #expect(checkpoint.tensors.count == tensors.count)
        for (tensor, want) in zip(checkpoint.tensors, tensors) {
            #expect(tensor.name == want["name"]?.stringValue)
            #expect(tensor.dtype.rawValue == want["dtype"]?.stringValue)
            #expect(.array(tensor.shape.map { .integer($0) }) == want["shape"])
            #expect(.array(tensor.strides.map { .integer($0) }) == want["strides"])
            #expect(tensor.storageOffset == want["storageOffset"]?.intValue)
            #expect(
                Vectors.hex(try contiguousBytes(tensor, in: checkpoint, source: source)) == want["hex"]?.stringValue,
                "\(tensor.name)")
        }
        #expect(checkpoint.isPureTensorData == (expected["pure"] == .bool(true)))
        if case let .array(groups)? = expected["shared"] {
            #expect(checkpoint.sharedStorageGroups.map { JSONValue.array($0.map { .string($0) }) } == groups)
        }
        #expect(checkpoint.format == (name.hasPrefix("legacy") ? .legacy : .zip(recordPrefix: name)))
    }

    @Test("write then read gives the same tensors and bytes", arguments: ["every_dtype", "shared_views", "parameters"])
    func writeRoundTrip(name: String) throws {
        let source = try Vectors.source("torch/\(name).pt")
        let checkpoint = try TorchCheckpoint.read(from: source)
        let storages = checkpoint.storages.map {
            TorchCheckpoint.StorageToWrite(
                key: $0.key, byteCount: $0.byteCount,
                data: .slice(source, $0.dataOffset..<($0.dataOffset + $0.byteCount)))
        }
        let sink = MemorySink()
        try TorchCheckpoint.write(tensors: checkpoint.tensors, storages: storages, to: sink)
        let copy = MemorySource(sink.bytes)
        let reread = try TorchCheckpoint.read(from: copy)
        #expect(reread.tensors == checkpoint.tensors)
        #expect(reread.pickle.globals.allSatisfy { $0.status == .allowed })
        for (a, b) in zip(checkpoint.tensors, reread.tensors) {
            #expect(
                try contiguousBytes(a, in: checkpoint, source: source) == contiguousBytes(b, in: reread, source: copy))
        }
    }

    @Test("metadata around tensors is kept as data")
    func metadata() throws {
        let checkpoint = try TorchCheckpoint.read(from: try Vectors.source("torch/with_metadata.pt"))
        let paths = checkpoint.metadata.map(\.path)
        #expect(paths == ["epoch", "name", "lr.0", "lr.1"])
        #expect(checkpoint.metadata.first?.summary == "7")
    }

    @Test("a state_dict's _metadata is an attribute, so the file stays pure")
    func stateDictAttributes() throws {
        let checkpoint = try TorchCheckpoint.read(from: try Vectors.source("torch/cnn_state_dict.pt"))
        #expect(checkpoint.metadata.allSatisfy { $0.kind == .attribute })
        #expect(checkpoint.isPureTensorData)
    }

    @Test("storages out of bounds and overflowing shapes are rejected")
    func hostileShapes() throws {
        func checkpoint(shape: [Int], strides: [Int], offset: Int, storageBytes: Int) throws -> [UInt8] {
            let tensor = TorchTensor(
                name: "t", dtype: .float32, shape: shape, strides: strides, storageOffset: offset, storageKey: "0",
                requiresGrad: false, isParameter: false)
            var pickle = PickleWriter()
            pickle.emptyOrderedDict()
            pickle.op(.mark)
            pickle.string("t")
            TorchCheckpoint.emitTensor(tensor, storageBytes: storageBytes, into: &pickle)
            pickle.op(.setItems)
            pickle.stop()
            let sink = MemorySink()
            let zip = ZipWriter(sink: sink)
            try zip.addEntry(name: "archive/data.pkl", bytes: pickle.output.bytes)
            try zip.addEntry(name: "archive/data/0", bytes: [UInt8](repeating: 0, count: storageBytes))
            try zip.finish()
            return sink.bytes
        }
        let cases: [([Int], [Int], Int, Int)] = [
            ([4], [1], 1, 16),  // one element past the end
            ([1 << 40, 1 << 40], [1, 1], 0, 16),  // element count overflows
            ([2, 2], [Int.max / 2, 1], 0, 16),  // extent overflows
            ([3], [1], -1, 16),  // negative offset
        ]
        for (shape, strides, offset, bytes) in cases {
            let file = try checkpoint(shape: shape, strides: strides, offset: offset, storageBytes: bytes)
            #expect(throws: ModelFormatsError.self) { try TorchCheckpoint.read(from: MemorySource(file)) }
        }
        // Storage size in the pickle disagreeing with its record.
        var file = try checkpoint(shape: [4], strides: [1], offset: 0, storageBytes: 16)
        let archive = try ZipArchive(source: MemorySource(file))
        let record = try #require(archive.entry(named: "archive/data/0"))
        _ = record
        file = try checkpoint(shape: [4], strides: [1], offset: 0, storageBytes: 16)
        #expect(try TorchCheckpoint.read(from: MemorySource(file)).tensors.count == 1)
    }

    @Test("every truncation of a checkpoint errors cleanly")
    func truncations() throws {
        let bytes = try Vectors.bytes("torch/parameters.pt")
        for length in stride(from: 0, to: bytes.count, by: 7) {
            #expect(throws: ModelFormatsError.self) {
                try TorchCheckpoint.read(from: MemorySource(Array(bytes[0..<length])))
            }
        }
        let legacy = try Vectors.bytes("torch/legacy.pt")
        for length in stride(from: 0, to: legacy.count, by: 5) {
            #expect(throws: ModelFormatsError.self) {
                try TorchCheckpoint.read(from: MemorySource(Array(legacy[0..<length])))
            }
        }
    }
}
