/// A PyTorch checkpoint read as data: ordered tensors, their storages and the plain values
/// around them. Nothing in the file was executed to build it.
public struct TorchCheckpoint: Sendable {
    /// The container `torch.save` used.
    public enum Format: Sendable, Equatable {
        /// The zip format (torch ≥ 1.6); `recordPrefix` is the archive's top folder.
        case zip(recordPrefix: String)
        /// The pre-1.6 format: consecutive pickles, then raw storages.
        case legacy
    }

    public var format: Format
    /// Tensors in the order the pickle defines them.
    public var tensors: [TorchTensor]
    /// Storages in first-use order.
    public var storages: [TorchStorage]
    /// Every non-tensor value around the tensors, by path.
    public var metadata: [TorchMetadataEntry]
    /// The main pickle's imports and calls (for reports and the scanner).
    public var pickle: PickleResult
    /// Findings of the zip walker (zip format only).
    public var zipDiagnostics: [ZipDiagnostic]
    /// `byteorder` record ("little" when absent, as torch assumes).
    public var byteOrder: String
    /// The `version` record of a zip checkpoint, or the legacy protocol version.
    public var formatVersion: String?

    /// Tensor names grouped by shared storage, for storages used by more than one tensor.
    public var sharedStorageGroups: [[String]] {
        var groups: [String: [String]] = [:]
        for tensor in tensors { groups[tensor.storageKey, default: []].append(tensor.name) }
        return storages.compactMap { storage in
            guard let names = groups[storage.key], names.count > 1 else { return nil }
            return names
        }
    }

    /// True when the file is a plain mapping of names to dense tensors (state_dict attributes allowed).
    public var isPureTensorData: Bool {
        !tensors.isEmpty && metadata.allSatisfy { $0.kind == .attribute }
            && pickle.globals.allSatisfy { $0.status == .allowed }
    }

    /// The storage called `key`.
    public func storage(_ key: String) -> TorchStorage? {
        storages.first { $0.key == key }
    }
}

/// One tensor: a strided view of a storage.
public struct TorchTensor: Sendable, Equatable {
    /// Dotted path from the root (`encoder.layers.0.weight`).
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    public var strides: [Int]
    /// Offset into the storage, in elements of `dtype`.
    public var storageOffset: Int
    public var storageKey: String
    public var requiresGrad: Bool
    /// Built by `torch._utils._rebuild_parameter` (an `nn.Parameter`).
    public var isParameter: Bool
    /// For quantized tensors (`_rebuild_qtensor`): the scheme and its parameters, e.g.
    /// `per_tensor_affine scale=0.1 zero_point=3`.
    public var quantization: String? = nil
    /// For per-channel quantized tensors: the `scales` and `zero_points` tensors, in that order.
    public var quantizationTensors: [TorchTensor] = []

    /// Number of elements.
    public var elementCount: Int { ShapeMath.elementCount(shape) ?? 0 }
    /// Bytes of the tensor's own elements (not of the whole storage).
    public var byteCount: Int { elementCount * dtype.elementSize }
    /// True when the elements lie row-major and contiguous in the storage.
    public var isContiguous: Bool {
        var expected = 1
        for index in shape.indices.reversed() where shape[index] != 1 {
            if strides[index] != expected { return false }
            expected *= shape[index]
        }
        return true
    }
}

/// A storage: the bytes tensors view.
public struct TorchStorage: Sendable, Equatable {
    public var key: String
    /// The element type the storage was saved with (`uint8` for untyped storages).
    public var dtype: DType
    public var byteCount: Int
    /// Device string from the pickle (`cpu`, `cuda:0`).
    public var location: String
    /// Absolute file offset of the first byte.
    public var dataOffset: Int
}

/// A non-tensor value in a checkpoint.
public struct TorchMetadataEntry: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// A plain Python value (number, string, bool, None, bytes).
        case value
        /// An attribute carried by a state_dict (`_metadata`): dropped silently by conversion.
        case attribute
        /// Something that is not plain data: a call, an unknown global, an unsupported tensor kind.
        case object
    }

    public var path: String
    public var kind: Kind
    /// A short rendering (`5`, `'adam'`, `call collections.Counter`).
    public var summary: String
}
