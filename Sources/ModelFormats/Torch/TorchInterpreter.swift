/// Turns the object graph a torch pickle built into tensors and metadata, following
/// `torch._utils._rebuild_*` calls as data (the functions are never called).
struct TorchInterpreter {
    let heap: PickleHeap
    var tensors: [TorchTensor] = []
    var storages: [TorchStorage] = []
    var metadata: [TorchMetadataEntry] = []
    var storageIndex: [String: Int] = [:]
    var visited = 0
    var onPath: Set<Int> = []
    /// (key, dtype, element count, location) → where the storage's bytes are.
    var resolveStorage: (String, DType, Int, String) throws -> TorchStorage = { key, _, _, _ in
        throw ModelFormatsError.storageOutOfBounds(tensor: key, reason: "no storage resolver")
    }

    init(heap: PickleHeap) { self.heap = heap }

    static let rebuildTensor: Set<String> = [
        "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor_v3",
    ]

    mutating func walk(_ root: PickleValue) throws {
        try visit(root, path: "", depth: 0)
    }

    func join(_ path: String, _ component: String) -> String {
        path.isEmpty ? component : path + "." + component
    }

    func keyText(_ key: PickleValue) -> String {
        switch key {
        case let .string(text): return text
        case let .int(number): return String(number)
        case let .bool(flag): return flag ? "True" : "False"
        case let .bytes(bytes): return String(decoding: bytes, as: UTF8.self)
        default: return summary(key)
        }
    }

    /// Entries of a dict or of an `OrderedDict()` instance; `nil` for anything else.
    func mapping(_ value: PickleValue) -> (entries: [(key: PickleValue, value: PickleValue)], state: PickleValue?)? {
        switch heap.object(value) {
        case let .dict(dict)?: return (dict.entries, nil)
        case let .instance(instance)?:
            guard let callee = heap.global(instance.callee),
                callee.fullName == "collections.OrderedDict" || callee.fullName == "builtins.dict",
                instance.construction == .reduce, heap.sequence(instance.args)?.isEmpty ?? false
            else { return nil }
            return (instance.entries, instance.state)
        default: return nil
        }
    }

    mutating func visit(_ value: PickleValue, path: String, depth: Int) throws {
        visited += 1
        guard visited <= TorchCheckpoint.Limits.maxVisitedNodes else {
            throw ModelFormatsError.limitExceeded(
                what: "objects visited in the pickle", limit: TorchCheckpoint.Limits.maxVisitedNodes, offset: 0)
        }
        guard depth <= PickleLimits.default.maxNestingDepth else {
            throw ModelFormatsError.limitExceeded(
                what: "pickle nesting depth", limit: PickleLimits.default.maxNestingDepth, offset: 0)
        }
        guard case let .object(id) = value else {
            metadata.append(TorchMetadataEntry(path: path, kind: .value, summary: summary(value)))
            return
        }
        guard onPath.insert(id.index).inserted else {
            metadata.append(TorchMetadataEntry(path: path, kind: .object, summary: "reference cycle"))
            return
        }
        defer { onPath.remove(id.index) }

        if let (entries, state) = mapping(value) {
            for (key, item) in entries { try visit(item, path: join(path, keyText(key)), depth: depth + 1) }
            if let state {
                // A state_dict's `_metadata` and similar attributes set by BUILD on an OrderedDict.
                if let (attributes, _) = mapping(state) {
                    for (key, _) in attributes {
                        metadata.append(
                            TorchMetadataEntry(
                                path: join(path, keyText(key)), kind: .attribute, summary: "state_dict attribute"))
                    }
                } else {
                    metadata.append(
                        TorchMetadataEntry(path: join(path, "__state__"), kind: .object, summary: summary(state)))
                }
            }
            if entries.isEmpty && state == nil && !path.isEmpty {
                metadata.append(TorchMetadataEntry(path: path, kind: .value, summary: "{}"))
            }
            return
        }
        switch heap[id] {
        case let .list(items), let .tuple(items):
            if items.isEmpty { metadata.append(TorchMetadataEntry(path: path, kind: .value, summary: summary(value))) }
            for (index, item) in items.enumerated() {
                try visit(item, path: join(path, String(index)), depth: depth + 1)
            }
        case let .instance(instance):
            if let tensor = try tensor(from: instance, path: path) {
                tensors.append(tensor)
            } else {
                metadata.append(TorchMetadataEntry(path: path, kind: .object, summary: summary(value)))
            }
        default:
            let kind: TorchMetadataEntry.Kind
            switch heap[id] {
            case .set, .frozenSet, .byteArray: kind = .value
            default: kind = .object
            }
            metadata.append(TorchMetadataEntry(path: path, kind: kind, summary: summary(value)))
        }
    }

    /// A tensor from `_rebuild_tensor*`, `_rebuild_parameter*` or `_rebuild_from_type_v2`, else `nil`.
    mutating func tensor(from instance: PickleInstance, path: String) throws -> TorchTensor? {
        guard instance.construction == .reduce, let callee = heap.global(instance.callee), callee.status == .allowed,
            let args = heap.sequence(instance.args)
        else { return nil }
        switch callee.fullName {
        case let name where Self.rebuildTensor.contains(name):
            return try rebuildTensor(name, args, path: path)
        case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
            guard args.count >= 2, case let .instance(inner)? = heap.object(args[0]),
                var tensor = try tensor(from: inner, path: path)
            else { return nil }
            tensor.isParameter = true
            tensor.requiresGrad = args[1] == .bool(true)
            return tensor
        case "torch._utils._rebuild_qtensor":
            // (storage, offset, size, stride, quantizer_params, requires_grad, hooks)
            guard args.count >= 5, let params = heap.sequence(args[4]), let scheme = params.first.flatMap(heap.global)
            else { return nil }
            guard var tensor = try rebuildTensor("torch._utils._rebuild_tensor", Array(args.prefix(4)), path: path)
            else {
                return nil
            }
            tensor.requiresGrad = args.count > 5 && args[5] == .bool(true)
            var parts = [scheme.name]
            switch scheme.name {
            case "per_tensor_affine", "per_tensor_symmetric":
                if params.count >= 3 { parts += ["scale=\(summary(params[1]))", "zero_point=\(summary(params[2]))"] }
            default:
                // Per-channel: scales and zero points are tensors with storages of their own.
                let labels = ["scales", "zero_points"]
                for (index, label) in labels.enumerated() where params.count > index + 1 {
                    if case let .instance(inner)? = heap.object(params[index + 1]),
                        let values = try self.tensor(from: inner, path: path + "." + label)
                    {
                        parts.append("\(label)=\(values.dtype.rawValue)\(values.shape)")
                        tensor.quantizationTensors.append(values)
                    }
                }
                if params.count > 3 { parts.append("axis=\(summary(params[3]))") }
            }
            tensor.quantization = parts.joined(separator: " ")
            return tensor
        case "torch._tensor._rebuild_from_type_v2":
            // (func, new_type, args, state): a tensor subclass; accept only plain Tensor/Parameter types.
            guard args.count == 4, let function = heap.global(args[0]), Self.rebuildTensor.contains(function.fullName),
                let newType = heap.global(args[1]),
                newType.fullName == "torch.Tensor" || newType.fullName == "torch.nn.parameter.Parameter",
                let innerArgs = heap.sequence(args[2])
            else { return nil }
            return try rebuildTensor(function.fullName, innerArgs, path: path)
        default:
            return nil
        }
    }

    func integers(_ value: PickleValue, what: String, path: String) throws -> [Int] {
        guard let items = heap.sequence(value) else {
            throw ModelFormatsError.malformed(what: "tensor \(path)", offset: 0, reason: "\(what) is not a tuple")
        }
        guard items.count <= TorchCheckpoint.Limits.maxRank else {
            throw ModelFormatsError.limitExceeded(
                what: "tensor \(path) rank", limit: TorchCheckpoint.Limits.maxRank, offset: 0)
        }
        return try items.map { item in
            guard let number = item.intValue, let int = Int(exactly: number) else {
                throw ModelFormatsError.malformed(
                    what: "tensor \(path)", offset: 0, reason: "\(what) holds a non-integer")
            }
            return int
        }
    }

    mutating func rebuildTensor(_ function: String, _ args: [PickleValue], path: String) throws -> TorchTensor? {
        // _rebuild_tensor(storage, offset, size, stride)
        // _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])
        // _rebuild_tensor_v3(storage, offset, size, stride, requires_grad, hooks, dtype[, metadata])
        guard args.count >= 4, case let .persistent(id, _)? = heap.object(args[0]) else { return nil }
        guard let storageOffset = args[1].intValue.flatMap({ Int(exactly: $0) }) else {
            throw ModelFormatsError.malformed(
                what: "tensor \(path)", offset: 0, reason: "storage offset is not an integer")
        }
        let shape = try integers(args[2], what: "size", path: path)
        let strides = try integers(args[3], what: "stride", path: path)
        guard shape.count == strides.count else {
            throw ModelFormatsError.malformed(
                what: "tensor \(path)", offset: 0, reason: "size and stride have different ranks")
        }
        let storage = try persistentStorage(id, path: path)
        var dtype = storage.dtype
        if function == "torch._utils._rebuild_tensor_v3" {
            guard args.count >= 7, let global = heap.global(args[6]),
                let declared = DType.fromTorchGlobal(module: global.module, name: global.name)
            else { throw ModelFormatsError.unsupported("tensor \(path) has an unknown dtype") }
            dtype = declared
        }
        guard ShapeMath.elementCount(shape) != nil else {
            throw ModelFormatsError.overflow(what: "tensor \(path) element count", offset: 0)
        }
        guard let needed = ShapeMath.requiredElements(shape: shape, strides: strides, offset: storageOffset) else {
            throw ModelFormatsError.storageOutOfBounds(
                tensor: path, reason: "negative stride or offset, or overflowing extent")
        }
        let (neededBytes, overflow) = needed.multipliedReportingOverflow(by: dtype.elementSize)
        guard !overflow, neededBytes <= storage.byteCount else {
            throw ModelFormatsError.storageOutOfBounds(
                tensor: path,
                reason:
                    "the view needs \(overflow ? "more than Int.max" : String(neededBytes)) bytes, its storage \(storage.key) has \(storage.byteCount)"
            )
        }
        let requiresGrad = args.count > 4 && args[4] == .bool(true)
        return TorchTensor(
            name: path, dtype: dtype, shape: shape, strides: strides, storageOffset: storageOffset,
            storageKey: storage.key, requiresGrad: requiresGrad, isParameter: false)
    }

    /// ('storage', storage_type, key, location, numel[, view_metadata]).
    mutating func persistentStorage(_ id: PickleValue, path: String) throws -> TorchStorage {
        guard let fields = heap.sequence(id), fields.count >= 5,
            fields[0] == .string("storage") || fields[0] == .bytes(Array("storage".utf8))
        else {
            throw ModelFormatsError.malformed(
                what: "tensor \(path)", offset: 0, reason: "persistent id is not a storage reference")
        }
        guard let type = heap.global(fields[1]),
            let dtype = DType.fromStorageClass(module: type.module, name: type.name)
        else {
            throw ModelFormatsError.unsupported("tensor \(path) uses an unknown storage type")
        }
        guard let key = TorchCheckpoint.legacyKey(fields[2]) else {
            throw ModelFormatsError.malformed(what: "tensor \(path)", offset: 0, reason: "storage key is not a string")
        }
        guard key.utf8.count <= 256, !key.contains("/"), !key.contains("..") else {
            throw ModelFormatsError.malformed(
                what: "tensor \(path)", offset: 0, reason: "storage key \"\(key)\" is not a plain name")
        }
        let location = fields[3].stringValue ?? "cpu"
        guard let count = fields[4].intValue.flatMap({ Int(exactly: $0) }), count >= 0 else {
            throw ModelFormatsError.malformed(
                what: "tensor \(path)", offset: 0, reason: "storage size is not a non-negative integer")
        }
        if fields.count > 5, fields[5] != .none {
            throw ModelFormatsError.unsupported("legacy storage views (tensor \(path))")
        }
        if let index = storageIndex[key] {
            let existing = storages[index]
            let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.elementSize)
            guard !overflow, bytes == existing.byteCount else {
                throw ModelFormatsError.storageOutOfBounds(
                    tensor: path, reason: "storage \(key) is declared with two different sizes")
            }
            return existing
        }
        let storage = try resolveStorage(key, dtype, count, location)
        storageIndex[key] = storages.count
        storages.append(storage)
        return storage
    }

    /// A short rendering of a value for reports (bounded in size).
    func summary(_ value: PickleValue, depth: Int = 0) -> String {
        switch value {
        case .none: return "None"
        case let .bool(flag): return flag ? "True" : "False"
        case let .int(number): return String(number)
        case let .bigInt(bytes): return "int(\(bytes.count) bytes)"
        case let .float(number): return String(number)
        case let .string(text): return "'" + String(text.prefix(80)) + (text.count > 80 ? "…'" : "'")
        case let .bytes(bytes): return "bytes(\(bytes.count))"
        case .object:
            switch heap.object(value) {
            case let .list(items)?:
                return depth > 1
                    ? "[…]"
                    : "[" + items.prefix(8).map { summary($0, depth: depth + 1) }.joined(separator: ", ")
                        + (items.count > 8 ? ", …]" : "]")
            case let .tuple(items)?:
                return depth > 1
                    ? "(…)"
                    : "(" + items.prefix(8).map { summary($0, depth: depth + 1) }.joined(separator: ", ")
                        + (items.count > 8 ? ", …)" : ")")
            case let .dict(dict)?: return "dict(\(dict.count) entries)"
            case let .set(items)?, let .frozenSet(items)?: return "set(\(items.count) items)"
            case let .byteArray(bytes)?: return "bytearray(\(bytes.count))"
            case let .global(reference)?: return "global \(reference.fullName)"
            case let .instance(instance)?:
                let name = heap.global(instance.callee)?.fullName ?? "an unnamed callable"
                return "call \(name) (\(instance.construction.rawValue) at offset \(instance.offset))"
            case .persistent?: return "persistent reference"
            case let .extensionCode(code)?: return "extension code \(code)"
            case nil: return "?"
            }
        }
    }
}
