import ModelFormats
import ModelSealCore

/// One tensor of a model file, as the mark sees it: where its elements lie in the file.
public struct WeightTensor: Sendable, Equatable {
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    /// The contiguous bytes of the elements in the file, or `nil` for a strided view.
    public var fileRange: Range<Int>?
    /// The zip member holding the elements (PyTorch zip checkpoints).
    public var zipMember: String?
    /// True when another tensor views the same storage (never marked: the views would disagree).
    public var sharesStorage: Bool
    /// For a tensor stored as integers with scales (suspects only): how to read it back as floats.
    public var quantized: QuantizedTensor? = nil

    public var elementCount: Int { shape.reduce(1) { $0 &* $1 } }
    /// The mark's element type, for the float types it handles.
    public var markDType: MarkDType? { MarkDType(dtype) }
}

/// A `.pt` (zip or legacy) or `.safetensors` file opened for marking or tracing; nothing is executed.
public struct WeightFile: Sendable {
    public enum Format: String, Sendable {
        case pytorchZip = "pytorch-zip", pytorchLegacy = "pytorch-legacy", safetensors
    }

    public let source: any ByteSource
    public let format: Format
    public let tensors: [WeightTensor]
    /// Float views of the integer-quantized weights (`QuantizedLayouts`), named as their originals: tracing
    /// matches them like float tensors; marking ignores them.
    public var dequantized: [WeightTensor] = []
    /// The walked archive, for zip checkpoints (its checksums are updated when marking).
    let archive: ZipArchive?

    /// Opens `source`, refusing anything but a PyTorch checkpoint or a safetensors file.
    public static func open(_ source: any ByteSource) throws -> WeightFile {
        switch try ModelFileFormat.detect(source) {
        case .safetensors?:
            let file = try SafetensorsFile.read(from: source)
            let tensors = file.tensors.map { tensor in
                WeightTensor(
                    name: tensor.name, dtype: tensor.dtype ?? .uint8, shape: tensor.shape,
                    fileRange: tensor.dtype == nil ? nil : tensor.dataRange, zipMember: nil, sharesStorage: false)
            }
            var opened = WeightFile(source: source, format: .safetensors, tensors: tensors, archive: nil)
            opened.dequantized = QuantizedLayouts.safetensors(file, source: source).map(WeightTensor.init)
            return opened
        case .pytorchZip?:
            let archive = try ZipArchive(source: source)
            let checkpoint = try TorchCheckpoint.readZip(archive)
            var opened = WeightFile(
                source: source, format: .pytorchZip, tensors: try torchTensors(checkpoint), archive: archive)
            opened.dequantized = quantizedTensors(checkpoint)
            return opened
        case .pytorchLegacy?:
            let checkpoint = try TorchCheckpoint.readLegacy(from: source)
            var opened = WeightFile(
                source: source, format: .pytorchLegacy, tensors: try torchTensors(checkpoint), archive: nil)
            opened.dequantized = quantizedTensors(checkpoint)
            return opened
        default:
            throw MarkError.unsupported(
                "\(source.name) is not a PyTorch checkpoint (.pt) or a safetensors file: the mark handles only these")
        }
    }

    /// The tensors of a checkpoint with their element bytes located in the file.
    static func torchTensors(_ checkpoint: TorchCheckpoint) throws -> [WeightTensor] {
        guard checkpoint.byteOrder == "little" else {
            throw MarkError.unsupported("big-endian checkpoints are not marked: convert the checkpoint first")
        }
        let shared = Set(checkpoint.sharedStorageGroups.flatMap { $0 })
        var prefix = ""
        if case let .zip(recordPrefix) = checkpoint.format { prefix = recordPrefix + "/" }
        return checkpoint.tensors.map { tensor in
            WeightTensor(
                name: tensor.name, dtype: tensor.dtype, shape: tensor.shape,
                fileRange: tensor.quantization == nil ? elementRange(tensor, checkpoint) : nil,
                zipMember: checkpoint.format == .legacy ? nil : prefix + "data/" + tensor.storageKey,
                sharesStorage: shared.contains(tensor.name))
        }
    }

    /// Where a contiguous tensor's elements lie in the file, if they do.
    static func elementRange(_ tensor: TorchTensor, _ checkpoint: TorchCheckpoint) -> Range<Int>? {
        guard let storage = checkpoint.storage(tensor.storageKey), tensor.isContiguous, storage.dataOffset >= 0
        else { return nil }
        let start = storage.dataOffset + tensor.storageOffset * tensor.dtype.elementSize
        guard start + tensor.byteCount <= storage.dataOffset + storage.byteCount else { return nil }
        return start..<(start + tensor.byteCount)
    }

    /// The quantized tensors of a checkpoint that `trace` reads back as floats.
    static func quantizedTensors(_ checkpoint: TorchCheckpoint) -> [WeightTensor] {
        guard checkpoint.byteOrder == "little" else { return [] }
        return checkpoint.tensors.compactMap { tensor in
            guard tensor.quantization != nil, let range = elementRange(tensor, checkpoint) else { return nil }
            return QuantizedLayouts.torch(tensor, range: range, checkpoint: checkpoint).map(WeightTensor.init)
        }
    }

    /// The elements of a float tensor (fp32, fp16, bf16) widened to `Float`, or of a dequantized one.
    public func floats(_ tensor: WeightTensor, elements: Range<Int>? = nil) throws -> [Float] {
        if let quantized = tensor.quantized {
            return try quantized.floats(source: source, elements: elements ?? 0..<tensor.elementCount)
        }
        guard let dtype = tensor.markDType, let range = tensor.fileRange else {
            throw MarkError.unsupported("tensor \(tensor.name) is not a contiguous fp32/fp16/bf16 tensor")
        }
        let wanted = (elements ?? 0..<(range.count / dtype.elementSize)).clamped(
            to: 0..<(range.count / dtype.elementSize))
        let bytes = try source.read(
            at: range.lowerBound + wanted.lowerBound * dtype.elementSize, count: wanted.count * dtype.elementSize)
        let count = wanted.count
        return bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return [] }
            return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                for index in 0..<count { buffer[index] = dtype.load(base, index) }
                initialized = count
            }
        }
    }
}

extension WeightTensor {
    /// The float view of a quantized tensor, under its original's name (`M.weight`).
    init(_ quantized: QuantizedTensor) {
        self.init(
            name: quantized.name, dtype: .float32, shape: quantized.shape, fileRange: nil, zipMember: nil,
            sharesStorage: false,
            quantized: quantized)
    }
}
