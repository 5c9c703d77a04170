import ModelSealCore

/// Conversion between PyTorch checkpoints and safetensors, streaming tensor bytes.
///
/// Rules (docs/FOREIGN-FORMATS.md, "convert"): only pure tensor data converts unless the caller drops
/// the rest; tensors sharing a storage cannot be expressed in safetensors, so they are refused
/// unless the caller asks to store one copy and record the aliases in `__metadata__` under
/// `aliasMetadataKey` (which the reverse conversion turns back into shared storages).
public enum ModelConversion {
    /// `__metadata__` key holding aliases: a JSON object `{alias: {"of", "offset", "shape", "strides"}}`.
    public static let aliasMetadataKey = "modelseal.aliases"
    /// Largest non-contiguous view materialised in memory.
    public static let maxMaterializedBytes = 4 << 30

    public struct Options: Sendable {
        /// Store one copy of shared storages and record aliases instead of refusing.
        public var aliasSharedStorages = false
        /// Drop non-tensor content instead of refusing.
        public var dropNonTensorData = false

        public init(aliasSharedStorages: Bool = false, dropNonTensorData: Bool = false) {
            self.aliasSharedStorages = aliasSharedStorages
            self.dropNonTensorData = dropNonTensorData
        }
    }

    /// What a conversion did.
    public struct Report: Sendable {
        public var tensorsWritten = 0
        public var bytesWritten = 0
        /// Tensors stored as aliases of another.
        public var aliases: [String] = []
        /// Paths of non-tensor content dropped on request.
        public var dropped: [String] = []
    }

    // MARK: - PyTorch → safetensors

    public static func torchToSafetensors(
        _ source: any ByteSource, to sink: any ByteSink, options: Options = Options()
    ) throws -> Report {
        let checkpoint = try TorchCheckpoint.read(from: source)
        var report = Report()
        guard checkpoint.byteOrder == "little" else { throw ModelFormatsError.unsupported("big-endian checkpoints") }
        let impure = checkpoint.metadata.filter { $0.kind != .attribute }
        let unknownGlobals = checkpoint.pickle.globals.filter { $0.status != .allowed }
        if !impure.isEmpty || !unknownGlobals.isEmpty {
            guard options.dropNonTensorData else {
                let examples =
                    (impure.prefix(3).map { "\($0.path) = \($0.summary)" }
                        + unknownGlobals.prefix(3).map { "global \($0.fullName)" })
                throw ModelFormatsError.conversionRefused(
                    "the checkpoint holds more than tensors (\(examples.joined(separator: "; "))); pass --drop-non-tensor-data to keep only the tensors"
                )
            }
            report.dropped = impure.map(\.path) + unknownGlobals.map { "global \($0.fullName)" }
        }
        guard !checkpoint.tensors.isEmpty else {
            throw ModelFormatsError.conversionRefused("the checkpoint holds no tensors")
        }

        let aliasOf = try sharedStorageAliases(in: checkpoint, options: options)

        var writes: [SafetensorsFile.TensorToWrite] = []
        for tensor in checkpoint.tensors where aliasOf[tensor.name] == nil {
            guard let storage = checkpoint.storage(tensor.storageKey) else {
                throw ModelFormatsError.storageOutOfBounds(tensor: tensor.name, reason: "storage missing")
            }
            guard tensor.dtype.safetensorsName != nil else {
                throw ModelFormatsError.conversionRefused(
                    "dtype \(tensor.dtype.rawValue) of \"\(tensor.name)\" has no safetensors equivalent")
            }
            writes.append(
                SafetensorsFile.TensorToWrite(
                    name: tensor.name, dtype: tensor.dtype, shape: tensor.shape,
                    data: try contiguousData(tensor, storage: storage, source: source)))
        }
        var metadata: [(key: String, value: String)] = [("format", "pt")]
        if !aliasOf.isEmpty {
            let entries: [(String, JSONValue)] = checkpoint.tensors.compactMap { tensor in
                guard let (target, alias) = aliasOf[tensor.name] else { return nil }
                return (
                    alias.name,
                    .object([
                        ("of", .string(target.name)), ("offset", .integer(alias.storageOffset - target.storageOffset)),
                        ("shape", .array(alias.shape.map { .integer($0) })),
                        ("strides", .array(alias.strides.map { .integer($0) })),
                    ])
                )
            }
            metadata.append((aliasMetadataKey, JSONWriter.serialize(.object(JSONObject(entries)))))
            report.aliases = entries.map(\.0)
        }
        try SafetensorsFile.write(writes, metadata: metadata, to: sink)
        report.tensorsWritten = writes.count
        report.bytesWritten = sink.offset
        return report
    }

    /// A tensor stored as a view of another (`target`) that shares its storage.
    typealias TensorAlias = (target: TorchTensor, tensor: TorchTensor)

    /// Tensors that share a storage, by name, each mapped to the canonical tensor stored in its
    /// place: refused unless `options.aliasSharedStorages`.
    static func sharedStorageAliases(
        in checkpoint: TorchCheckpoint, options: Options
    ) throws -> [String: TensorAlias] {
        var groups: [String: [TorchTensor]] = [:]
        for tensor in checkpoint.tensors { groups[tensor.storageKey, default: []].append(tensor) }
        var aliasOf: [String: TensorAlias] = [:]
        for (key, members) in groups where members.count > 1 {
            guard options.aliasSharedStorages else {
                throw ModelFormatsError.conversionRefused(
                    "tensors \(members.map(\.name).joined(separator: ", ")) share storage \(key), which safetensors cannot express; pass --alias-shared to store one copy and record the aliases in __metadata__"
                )
            }
            // The canonical tensor must be contiguous and span every other view of the storage.
            let spans = members.map { tensor in
                (
                    tensor, tensor.storageOffset,
                    ShapeMath.requiredElements(
                        shape: tensor.shape, strides: tensor.strides, offset: tensor.storageOffset) ?? 0
                )
            }
            guard
                let canonical = spans.first(where: { candidate in
                    candidate.0.isContiguous
                        && spans.allSatisfy {
                            $0.0.dtype == candidate.0.dtype && $0.1 >= candidate.1 && $0.2 <= candidate.2
                        }
                })?.0
            else {
                throw ModelFormatsError.conversionRefused(
                    "tensors \(members.map(\.name).joined(separator: ", ")) share storage \(key) but no one of them is a contiguous view covering the others"
                )
            }
            for member in members where member.name != canonical.name {
                aliasOf[member.name] = (canonical, member)
            }
        }
        return aliasOf
    }

    /// The tensor's elements, row-major: a file range when already contiguous, else gathered.
    static func contiguousData(_ tensor: TorchTensor, storage: TorchStorage, source: any ByteSource) throws
        -> TorchCheckpoint.StorageData
    {
        let size = tensor.dtype.elementSize
        let start = storage.dataOffset + tensor.storageOffset * size
        if tensor.isContiguous || tensor.elementCount <= 1 {
            return .slice(source, start..<(start + tensor.byteCount))
        }
        guard let needed = ShapeMath.requiredElements(shape: tensor.shape, strides: tensor.strides, offset: 0),
            needed * size <= maxMaterializedBytes, tensor.byteCount <= maxMaterializedBytes
        else {
            throw ModelFormatsError.limitExceeded(
                what: "non-contiguous view \(tensor.name)", limit: maxMaterializedBytes, offset: start)
        }
        let span = try source.read(at: start, count: needed * size)
        var output = [UInt8](repeating: 0, count: tensor.byteCount)
        var index = [Int](repeating: 0, count: tensor.shape.count)
        var element = 0
        span.withUnsafeBytes { from in
            output.withUnsafeMutableBytes { to in
                guard let fromBase = from.baseAddress, let toBase = to.baseAddress else { return }
                for _ in 0..<tensor.elementCount {
                    var offset = 0
                    for axis in index.indices { offset += index[axis] * tensor.strides[axis] }
                    (toBase + element * size).copyMemory(from: fromBase + offset * size, byteCount: size)
                    element += 1
                    var axis = index.count - 1
                    while axis >= 0 {
                        index[axis] += 1
                        if index[axis] < tensor.shape[axis] { break }
                        index[axis] = 0
                        axis -= 1
                    }
                }
            }
        }
        return .bytes(output)
    }

    // MARK: - PyTorch → PyTorch

    /// Rewrites a checkpoint as a plain zip-format state_dict (legacy files become zip files);
    /// storages, views and sharing are kept as they are.
    public static func torchToTorch(
        _ source: any ByteSource, to sink: any ByteSink, options: Options = Options()
    ) throws -> Report {
        let checkpoint = try TorchCheckpoint.read(from: source)
        var report = Report()
        guard checkpoint.byteOrder == "little" else { throw ModelFormatsError.unsupported("big-endian checkpoints") }
        let impure = checkpoint.metadata.filter { $0.kind != .attribute }
        let unknownGlobals = checkpoint.pickle.globals.filter { $0.status != .allowed }
        if !impure.isEmpty || !unknownGlobals.isEmpty {
            guard options.dropNonTensorData else {
                throw ModelFormatsError.conversionRefused(
                    "the checkpoint holds more than tensors; pass --drop-non-tensor-data to keep only the tensors")
            }
            report.dropped = impure.map(\.path) + unknownGlobals.map { "global \($0.fullName)" }
        }
        if let quantized = checkpoint.tensors.first(where: { $0.quantization != nil }) {
            throw ModelFormatsError.unsupported(
                "rewriting quantized tensors (\(quantized.name): \(quantized.quantization ?? ""))")
        }
        let storages = checkpoint.storages.map {
            TorchCheckpoint.StorageToWrite(
                key: $0.key, byteCount: $0.byteCount,
                data: .slice(source, $0.dataOffset..<($0.dataOffset + $0.byteCount)))
        }
        try TorchCheckpoint.write(tensors: checkpoint.tensors, storages: storages, to: sink)
        report.tensorsWritten = checkpoint.tensors.count
        report.bytesWritten = sink.offset
        return report
    }

    // MARK: - safetensors → PyTorch

    public static func safetensorsToTorch(
        _ source: any ByteSource, to sink: any ByteSink, options: Options = Options()
    ) throws -> Report {
        let file = try SafetensorsFile.read(from: source)
        var report = Report()
        var aliases: [(name: String, of: String, offset: Int, shape: [Int], strides: [Int])] = []
        for (key, value) in file.metadata {
            if key == "format" { continue }
            if key == aliasMetadataKey {
                guard case let .object(entries) = try JSONParser.parse(Array(value.utf8)) else {
                    throw ModelFormatsError.malformed(
                        what: "__metadata__ \(aliasMetadataKey)", offset: 8, reason: "not a JSON object")
                }
                for (name, description) in entries {
                    guard let of = description["of"]?.stringValue, let offset = description["offset"]?.intValue,
                        case let .array(shape)? = description["shape"],
                        case let .array(strides)? = description["strides"]
                    else {
                        throw ModelFormatsError.malformed(
                            what: "alias \(name)", offset: 8, reason: "needs of, offset, shape, strides")
                    }
                    aliases.append((name, of, offset, shape.compactMap(\.intValue), strides.compactMap(\.intValue)))
                }
                continue
            }
            guard options.dropNonTensorData else {
                throw ModelFormatsError.conversionRefused(
                    "__metadata__ entry \"\(key)\" has no place in a state_dict; pass --drop-non-tensor-data to drop it"
                )
            }
            report.dropped.append("__metadata__." + key)
        }
        var tensors: [TorchTensor] = []
        var storages: [TorchCheckpoint.StorageToWrite] = []
        var byName: [String: TorchTensor] = [:]
        for (index, entry) in file.tensors.enumerated() {
            guard let dtype = entry.dtype else {
                throw ModelFormatsError.conversionRefused(
                    "safetensors dtype \(entry.dtypeName) of \"\(entry.name)\" has no torch equivalent here")
            }
            let key = String(index)
            let tensor = TorchTensor(
                name: entry.name, dtype: dtype, shape: entry.shape, strides: ShapeMath.contiguousStrides(entry.shape),
                storageOffset: 0, storageKey: key, requiresGrad: false, isParameter: false)
            tensors.append(tensor)
            byName[entry.name] = tensor
            storages.append(
                TorchCheckpoint.StorageToWrite(
                    key: key, byteCount: entry.dataRange.count, data: .slice(source, entry.dataRange)))
        }
        for alias in aliases {
            guard let target = byName[alias.of], byName[alias.name] == nil, alias.offset >= 0,
                alias.shape.count == alias.strides.count
            else {
                throw ModelFormatsError.malformed(
                    what: "alias \(alias.name)", offset: 8, reason: "refers to a missing tensor or clashes with one")
            }
            let tensor = TorchTensor(
                name: alias.name, dtype: target.dtype, shape: alias.shape, strides: alias.strides,
                storageOffset: alias.offset, storageKey: target.storageKey, requiresGrad: false, isParameter: false)
            tensors.append(tensor)
            byName[alias.name] = tensor
            report.aliases.append(alias.name)
        }
        try TorchCheckpoint.write(tensors: tensors, storages: storages, to: sink)
        report.tensorsWritten = tensors.count
        report.bytesWritten = sink.offset
        return report
    }
}
