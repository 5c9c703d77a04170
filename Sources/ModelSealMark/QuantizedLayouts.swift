import ModelFormats
import ModelSealCore

/// The integer layouts `trace` dequantizes (spec/MARK.md §4.1), each named after the tool that writes it:
///
/// * PyTorch quantized tensors in a `.pt`: `torch.qint8`/`torch.quint8`, `per_channel_affine` along axis 0
///   (`torch.quantize_per_channel`) or `per_tensor_affine`.
/// * compressed-tensors (llm-compressor) in a `.safetensors`, module `M`: `M.weight` int8 with `M.weight_scale`
///   (`[rows, 1]` or `[rows, groups]`) and optional `M.weight_zero_point` ("int-quantized"); `M.weight_packed`
///   int32 (4-bit codes, `pack_to_int32`) with `M.weight_scale`, `M.weight_shape` and optional
///   `M.weight_zero_point` ("pack-quantized").
/// * bitsandbytes LLM.int8 in a `.safetensors`: `M.weight` int8 with `M.SCB` (the row's absmax; w = q·SCB/127).
enum QuantizedLayouts {
    /// The dequantizable tensors of a safetensors file, named as their float originals (`M.weight`).
    static func safetensors(_ file: SafetensorsFile, source: any ByteSource) -> [QuantizedTensor] {
        var byName: [String: SafetensorsFile.Tensor] = [:]
        for tensor in file.tensors { byName[tensor.name] = tensor }
        var found: [QuantizedTensor] = []
        for tensor in file.tensors {
            if tensor.name.hasSuffix(".weight_packed"), tensor.dtype == .int32, tensor.shape.count == 2 {
                let module = String(tensor.name.dropLast(".weight_packed".count))
                guard let shapeTensor = byName[module + ".weight_shape"],
                    let shape = try? integers(shapeTensor, source: source), shape.count >= 2,
                    shape.allSatisfy({ $0 > 0 }),
                    shape[0] == tensor.shape[0], tensor.shape[1] == (shape.dropFirst().reduce(1, *) + 7) / 8
                else { continue }
                if let quantized = grouped(
                    codes: .int4PackedInt32, range: tensor.dataRange, shape: shape, module: module, byName: byName,
                    layout: "compressed-tensors pack-quantized int4")
                {
                    found.append(quantized)
                }
            } else if tensor.name.hasSuffix(".weight"), tensor.dtype == .int8 || tensor.dtype == .uint8,
                tensor.shape.count >= 2
            {
                let module = String(tensor.name.dropLast(".weight".count))
                let codes: QuantizedTensor.Codes = tensor.dtype == .int8 ? .int8 : .uint8
                if byName[module + ".weight_scale"] != nil {
                    if let quantized = grouped(
                        codes: codes, range: tensor.dataRange, shape: tensor.shape, module: module, byName: byName,
                        layout: "compressed-tensors int-quantized int8")
                    {
                        found.append(quantized)
                    }
                } else if let scb = byName[module + ".SCB"], let dtype = scb.dtype, tensor.shape[0] > 0,
                    QuantizedTensor.numberTypes.contains(dtype), scb.elementCount == tensor.shape[0], codes == .int8
                {
                    found.append(
                        QuantizedTensor(
                            name: tensor.name, layout: "bitsandbytes int8", shape: tensor.shape, codes: .int8,
                            codeRange: tensor.dataRange,
                            scales: .stored(range: scb.dataRange, dtype: dtype, perRow: 1), zeroPoints: .constant(0),
                            groupSize: tensor.elementCount / tensor.shape[0], multiplier: 1.0 / 127))
                }
            }
        }
        return found.filter(consistent)
    }

    /// A compressed-tensors layout: `M.weight_scale` per row or per group, `M.weight_zero_point` alike or absent.
    static func grouped(
        codes: QuantizedTensor.Codes, range: Range<Int>, shape: [Int], module: String,
        byName: [String: SafetensorsFile.Tensor], layout: String
    ) -> QuantizedTensor? {
        let rows = shape[0]
        let columns = shape.dropFirst().reduce(1, *)
        guard let scale = byName[module + ".weight_scale"], let scaleType = scale.dtype,
            QuantizedTensor.numberTypes.contains(scaleType), rows > 0, scale.elementCount % rows == 0,
            let groupSize = groupSize(columns: columns, groups: scale.elementCount / rows)
        else { return nil }
        var zero = QuantizedTensor.Numbers.constant(0)
        if let point = byName[module + ".weight_zero_point"] {
            guard let type = point.dtype, QuantizedTensor.numberTypes.contains(type),
                point.elementCount == scale.elementCount
            else { return nil }
            zero = .stored(range: point.dataRange, dtype: type, perRow: scale.elementCount / rows)
        }
        return QuantizedTensor(
            name: module + ".weight", layout: layout, shape: shape, codes: codes, codeRange: range,
            scales: .stored(range: scale.dataRange, dtype: scaleType, perRow: scale.elementCount / rows),
            zeroPoints: zero, groupSize: groupSize)
    }

    /// The group size that cuts `columns` into `groups` groups: exact division, else the power of two that
    /// gives `groups` groups with a shorter last one (group 128 over 576 columns: 5 groups).
    static func groupSize(columns: Int, groups: Int) -> Int? {
        guard groups > 0, columns > 0 else { return nil }
        if columns % groups == 0 { return columns / groups }
        var size = 1
        while size <= columns {
            if (columns + size - 1) / size == groups { return size }
            size *= 2
        }
        return nil
    }

    /// The values of a small integer tensor (`M.weight_shape`).
    static func integers(_ tensor: SafetensorsFile.Tensor, source: any ByteSource) throws -> [Int] {
        guard let dtype = tensor.dtype, dtype == .int32 || dtype == .int64, tensor.shape.count == 1,
            tensor.elementCount <= 8
        else { return [] }
        let bytes = try source.read(at: tensor.dataRange.lowerBound, count: tensor.dataRange.count)
        let values = (0..<tensor.elementCount).map { index in
            (0..<dtype.elementSize).reversed().reduce(UInt64(0)) {
                $0 << 8 | UInt64(bytes[index * dtype.elementSize + $1])
            }
        }
        // Dimensions of at most 2^31 each, and a product that fits: anything else is not this layout.
        var product = 1
        for value in values {
            guard value <= 1 << 31 else { return [] }
            let (next, overflow) = product.multipliedReportingOverflow(by: Int(value))
            guard !overflow else { return [] }
            product = next
        }
        return values.map { Int($0) }
    }

    /// A quantized PyTorch tensor (`_rebuild_qtensor`) with its codes at `range`, if its scheme is handled.
    static func torch(_ tensor: TorchTensor, range: Range<Int>, checkpoint: TorchCheckpoint) -> QuantizedTensor? {
        guard let scheme = tensor.quantization, tensor.dtype == .qint8 || tensor.dtype == .quint8,
            tensor.shape.count >= 2, tensor.shape[0] > 0
        else { return nil }
        let codes: QuantizedTensor.Codes = tensor.dtype == .qint8 ? .int8 : .uint8
        let columns = tensor.elementCount / tensor.shape[0]
        let fields = Dictionary(
            scheme.split(separator: " ").compactMap { part -> (String, String)? in
                let pair = part.split(separator: "=", maxSplits: 1)
                return pair.count == 2 ? (String(pair[0]), String(pair[1])) : nil
            }, uniquingKeysWith: { first, _ in first })
        let layout = "torch \(scheme.split(separator: " ").first ?? "") \(tensor.dtype.rawValue)"
        if scheme.hasPrefix("per_tensor_affine") {
            guard let scale = fields["scale"].flatMap(Double.init), let zero = fields["zero_point"].flatMap(Double.init)
            else { return nil }
            return QuantizedTensor(
                name: tensor.name, layout: layout, shape: tensor.shape, codes: codes, codeRange: range,
                scales: .constant(scale),
                zeroPoints: .constant(zero), groupSize: columns)
        }
        guard scheme.hasPrefix("per_channel_affine"), fields["axis"] == "0", tensor.quantizationTensors.count == 2,
            let scales = numbers(tensor.quantizationTensors[0], checkpoint: checkpoint, rows: tensor.shape[0]),
            let zeros = numbers(tensor.quantizationTensors[1], checkpoint: checkpoint, rows: tensor.shape[0])
        else { return nil }
        return QuantizedTensor(
            name: tensor.name, layout: layout, shape: tensor.shape, codes: codes, codeRange: range, scales: scales,
            zeroPoints: zeros,
            groupSize: columns)
    }

    /// One number per row, from a checkpoint's per-channel `scales` or `zero_points` tensor.
    static func numbers(_ tensor: TorchTensor, checkpoint: TorchCheckpoint, rows: Int) -> QuantizedTensor.Numbers? {
        guard QuantizedTensor.numberTypes.contains(tensor.dtype), tensor.elementCount == rows, tensor.isContiguous,
            let storage = checkpoint.storage(tensor.storageKey), storage.dataOffset >= 0
        else { return nil }
        let start = storage.dataOffset + tensor.storageOffset * tensor.dtype.elementSize
        guard start + tensor.byteCount <= storage.dataOffset + storage.byteCount else { return nil }
        return .stored(range: start..<(start + tensor.byteCount), dtype: tensor.dtype, perRow: 1)
    }

    /// The codes and stored numbers fit their ranges exactly.
    static func consistent(_ tensor: QuantizedTensor) -> Bool {
        guard tensor.codeRange.count == tensor.rows * tensor.rowBytes, tensor.groupSize > 0 else { return false }
        let groups = (tensor.columns + tensor.groupSize - 1) / tensor.groupSize
        for numbers in [tensor.scales, tensor.zeroPoints] {
            if case .stored(let range, let dtype, let perRow) = numbers,
                range.count != tensor.rows * perRow * dtype.elementSize || (perRow != 1 && perRow != groups)
            {
                return false
            }
        }
        return true
    }
}
