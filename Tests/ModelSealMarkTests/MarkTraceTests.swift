import ModelSealCore
import TestSupport
import Testing

@testable import ModelFormats
@testable import ModelSealMark

#if canImport(Glibc)
    import Glibc
#endif

/// Marking and tracing small generated models end to end (the ResNet-18 robustness suite is in
/// python/tests/test_mark.py, with real torch).
@Suite("mark and trace")
struct MarkTraceTests {
    static let secret = [UInt8](repeating: 7, count: 32)

    /// Little-endian bytes of `count` Gaussian-ish values in `dtype`.
    static func values(_ count: Int, dtype: MarkDType, seed: UInt64) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        var bytes = [UInt8](repeating: 0, count: count * dtype.elementSize)
        bytes.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            for index in 0..<count {
                let u = (0..<4).reduce(Float(0)) { sum, _ in sum + Float.random(in: -1...1, using: &generator) }
                dtype.store(u * 0.02, base, index)
            }
        }
        return bytes
    }

    static func safetensors() throws -> MemorySource {
        let sink = MemorySink()
        try SafetensorsFile.write(
            [
                .init(
                    name: "big.weight", dtype: .float32, shape: [128, 1024],
                    data: .bytes(values(131_072, dtype: .float32, seed: 1))),
                .init(
                    name: "half.weight", dtype: .float16, shape: [64, 512],
                    data: .bytes(values(32_768, dtype: .float16, seed: 2))),
                .init(
                    name: "big.bias", dtype: .float32, shape: [128], data: .bytes(values(128, dtype: .float32, seed: 3))
                ),
            ], to: sink)
        return MemorySource(sink.bytes)
    }

    static func customers(_ count: Int) -> [String] { (0..<count).map { "customer-\($0)" } }

    @Test("the marked customer is named, nobody else; other bytes are unchanged; the bound holds")
    func safetensorsRoundTrip() throws {
        let source = try Self.safetensors()
        let original = try WeightFile.open(source)
        let marked = try ModelMarker.mark(
            original, MarkRequest(secret: Self.secret, modelID: "m1", customer: "customer-7"))
        #expect(marked.tensors.map(\.name).sorted() == ["big.weight", "half.weight"])
        #expect(marked.maxRelativeChange <= 1e-3)
        #expect(marked.tensors.first { $0.dtype == .float16 }?.maxUlps ?? 9 <= 1)
        let sink = MemorySink()
        try marked.delivered.write(to: sink)
        let delivered = sink.bytes
        #expect(delivered.count == source.size)
        let unmarked = try #require(original.tensors.first { $0.name == "big.bias" }?.fileRange)
        #expect(Array(delivered[unmarked]) == Array(source.bytes[unmarked]))
        let header = 0..<(try #require(original.tensors.compactMap(\.fileRange).map(\.lowerBound).min()))
        #expect(Array(delivered[header]) == Array(source.bytes[header]))
        #expect(delivered != source.bytes)

        let report = try Tracer.trace(
            original: original, suspect: try WeightFile.open(MemorySource(delivered)),
            TraceRequest(secret: Self.secret, modelID: "m1", customers: Self.customers(500)))
        #expect(report.accused.map(\.customer) == ["customer-7"])
        #expect(report.accused.first.map { $0.falsePositiveBound < 1e-9 } == true)
        #expect((report.runnerUp?.z ?? 99) < report.thresholdZ)
        #expect(report.null.count == 499)
        #expect(abs(report.null.stdZAll - 1) < 0.2)
    }

    @Test("the original and a copy marked under another model id accuse nobody")
    func nobodyAccused() throws {
        let original = try WeightFile.open(try Self.safetensors())
        let clean = try Tracer.trace(
            original: original, suspect: original,
            TraceRequest(secret: Self.secret, modelID: "m1", customers: Self.customers(200)))
        #expect(clean.accused.isEmpty)
        let other = try ModelMarker.mark(
            original, MarkRequest(secret: Self.secret, modelID: "m2", customer: "customer-3"))
        let report = try Tracer.trace(
            original: original, suspect: try WeightFile.open(other.delivered),
            TraceRequest(secret: Self.secret, modelID: "m1", customers: Self.customers(200)))
        #expect(report.accused.isEmpty)
    }

    @Test("a marked zip checkpoint keeps valid checksums and every unmarked byte")
    func torchZip() throws {
        let weight = Self.values(65_536, dtype: .float32, seed: 4)
        let bias = Self.values(256, dtype: .float32, seed: 5)
        let tensors = [
            TorchTensor(
                name: "fc.weight", dtype: .float32, shape: [256, 256], strides: [256, 1], storageOffset: 0,
                storageKey: "0", requiresGrad: false, isParameter: false),
            TorchTensor(
                name: "fc.bias", dtype: .float32, shape: [256], strides: [1], storageOffset: 0, storageKey: "1",
                requiresGrad: false, isParameter: false),
        ]
        let sink = MemorySink()
        try TorchCheckpoint.write(
            tensors: tensors,
            storages: [
                .init(key: "0", byteCount: weight.count, data: .bytes(weight)),
                .init(key: "1", byteCount: bias.count, data: .bytes(bias)),
            ], to: sink)
        let original = try WeightFile.open(MemorySource(sink.bytes))
        let marked = try ModelMarker.mark(
            original, MarkRequest(secret: Self.secret, modelID: "m1", customer: "customer-1"))
        let out = MemorySink()
        try marked.delivered.write(to: out)
        let archive = try ZipArchive(source: MemorySource(out.bytes))
        for entry in archive.entries { #expect(try archive.verifyCRC(entry) == nil, "\(entry.name)") }
        let changed = zip(out.bytes, sink.bytes).filter { $0 != $1 }.count
        #expect(changed > 60_000 && changed <= 65_536 * 4 + 12)
        let report = try Tracer.trace(
            original: original, suspect: try WeightFile.open(MemorySource(out.bytes)),
            TraceRequest(secret: Self.secret, modelID: "m1", customers: Self.customers(100)))
        #expect(report.accused.map(\.customer) == ["customer-1"])
    }

    @Test("a suspect storing a marked matrix transposed under another name is matched and traced")
    func transposed() throws {
        let original = try WeightFile.open(try Self.safetensors())
        let marked = try ModelMarker.mark(
            original, MarkRequest(secret: Self.secret, modelID: "m1", customer: "customer-9"))
        let delivered = try WeightFile.open(marked.delivered)
        let big = try #require(delivered.tensors.first { $0.name == "big.weight" })
        let values = try delivered.floats(big)
        var transposed = [UInt8](repeating: 0, count: values.count * 4)
        transposed.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            for row in 0..<128 {
                for column in 0..<1024 {
                    MarkDType.float32.store(values[row * 1024 + column], base, column * 128 + row)
                }
            }
        }
        let sink = MemorySink()
        try SafetensorsFile.write(
            [.init(name: "renamed.kernel", dtype: .float32, shape: [1024, 128], data: .bytes(transposed))], to: sink)
        let report = try Tracer.trace(
            original: original, suspect: try WeightFile.open(MemorySource(sink.bytes)),
            TraceRequest(secret: Self.secret, modelID: "m1", customers: Self.customers(300)))
        #expect(report.evidence.tierB.transposed == 1)
        #expect(report.evidence.tierB.unmatched == ["half.weight"])
        #expect(report.accused.map(\.customer) == ["customer-9"])
    }

    @Test("bad requests are refused with a message, not a trap")
    func refusals() throws {
        let original = try WeightFile.open(try Self.safetensors())
        #expect(throws: MarkError.self) {
            try ModelMarker.mark(original, MarkRequest(secret: [1, 2, 3], modelID: "m", customer: "c"))
        }
        #expect(throws: MarkError.self) {
            try ModelMarker.mark(original, MarkRequest(secret: Self.secret, modelID: "m", customer: ""))
        }
        #expect(throws: MarkError.self) {
            try ModelMarker.mark(
                original,
                MarkRequest(
                    secret: Self.secret, modelID: "m", customer: "c", parameters: MarkParameters(alpha: 2e-3)))
        }
        #expect(throws: MarkError.self) {
            try ModelMarker.mark(
                original,
                MarkRequest(
                    secret: Self.secret, modelID: "m", customer: "c",
                    parameters: MarkParameters(minElements: 1 << 30)))
        }
        #expect(throws: (any Error).self) { try WeightFile.open(MemorySource(Array("not a model".utf8))) }
    }

    @Test("the registry round-trips and rejects malformed files")
    func registry() throws {
        let entry = MarkRegistry.Entry(
            customer: "acme", modelID: "m1", alpha: 6e-4, minElements: 4096, format: "safetensors",
            markedTensors: 2, markedWeights: 163_840, selfCheckZ: 250.5)
        let registry = MarkRegistry(entries: [entry, entry])
        let parsed = try MarkRegistry.parse(registry.serialized())
        #expect(parsed.entries == [entry, entry])
        #expect(parsed.customers(modelID: "m1") == ["acme"])
        #expect(throws: MarkError.self) { try MarkRegistry.parse(Array("{\"schema\": 2}".utf8)) }
        #expect(throws: MarkError.self) { try MarkRegistry.parse(Array("[".utf8)) }
    }

    @Test("marks recorded at the same time are all kept (the registry lock)")
    func concurrentRecorders() throws {
        var template = Array("/tmp/modelseal-registry-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { $0.baseAddress.flatMap { mkdtemp($0) } }
        let folder = String(cString: try #require(made))
        defer {
            for name in ["registry.json", "registry.json.lock"] { unlink(folder + "/" + name) }
            rmdir(folder)
        }
        let path = folder + "/registry.json"
        let writers = 8, each = 12
        try Parallel.map(writers, workers: writers) { (writer: Int) throws -> Void in
            for index in 0..<each {
                try MarkRegistry.record(
                    MarkRegistry.Entry(
                        customer: "w\(writer)-\(index)", modelID: "m1", alpha: 6e-4, minElements: 4096,
                        format: "safetensors", markedTensors: 1, markedWeights: 4096, selfCheckZ: 60),
                    path: path)
            }
        }
        let customers = try MarkRegistry.load(path: path).customers(modelID: "m1")
        #expect(customers.count == writers * each)
        #expect(Set(customers).count == writers * each)
    }
}
