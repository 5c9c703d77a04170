/// Every tensor element type `torch.save` writes, with its spellings in each format we handle.
///
/// Raw values are torch's names (`torch.<rawValue>`).
public enum DType: String, Sendable, CaseIterable, Hashable {
    case float64, float32, float16, bfloat16
    case complex32, complex64, complex128
    case int8, int16, int32, int64
    case uint8, uint16, uint32, uint64
    case bool
    case float8E4M3FN = "float8_e4m3fn"
    case float8E4M3FNUZ = "float8_e4m3fnuz"
    case float8E5M2 = "float8_e5m2"
    case float8E5M2FNUZ = "float8_e5m2fnuz"
    case float8E8M0FNU = "float8_e8m0fnu"
    case float4E2M1FNx2 = "float4_e2m1fn_x2"
    case qint8, quint8, qint32, quint4x2, quint2x4
    case bits1x8, bits2x4, bits4x2, bits8, bits16

    /// Bytes per element (packed sub-byte types count one byte per packed element, as torch does).
    public var elementSize: Int {
        switch self {
        case .float64, .int64, .uint64, .complex64: 8
        case .complex128: 16
        case .float32, .int32, .uint32, .qint32, .complex32: 4
        case .float16, .bfloat16, .int16, .uint16, .bits16: 2
        default: 1
        }
    }

    /// `torch.float32`: the global a pickle names for this dtype.
    public var torchName: String { "torch.\(rawValue)" }

    /// The legacy typed-storage class (`FloatStorage`) torch pickles for this dtype, if it has one.
    public var legacyStorageClass: String? {
        switch self {
        case .float64: "DoubleStorage"
        case .float32: "FloatStorage"
        case .float16: "HalfStorage"
        case .bfloat16: "BFloat16Storage"
        case .complex64: "ComplexFloatStorage"
        case .complex128: "ComplexDoubleStorage"
        case .int8: "CharStorage"
        case .int16: "ShortStorage"
        case .int32: "IntStorage"
        case .int64: "LongStorage"
        case .uint8: "ByteStorage"
        case .bool: "BoolStorage"
        case .qint8: "QInt8Storage"
        case .quint8: "QUInt8Storage"
        case .qint32: "QInt32Storage"
        case .quint4x2: "QUInt4x2Storage"
        case .quint2x4: "QUInt2x4Storage"
        default: nil
        }
    }

    /// The dtype of a `torch.XStorage` class name, or of `torch.storage.UntypedStorage` (bytes).
    public static func fromStorageClass(module: String, name: String) -> DType? {
        if module == "torch.storage" && name == "UntypedStorage" { return .uint8 }
        guard module == "torch" || module == "torch.cuda" else { return nil }
        return allCases.first { $0.legacyStorageClass == name }
    }

    /// The dtype a `torch.<name>` global denotes.
    public static func fromTorchGlobal(module: String, name: String) -> DType? {
        guard module == "torch" else { return nil }
        return DType(rawValue: name)
    }

    /// The safetensors spelling, for the types the `safetensors` package loads into torch.
    public var safetensorsName: String? {
        switch self {
        case .float64: "F64"
        case .float32: "F32"
        case .float16: "F16"
        case .bfloat16: "BF16"
        case .int64: "I64"
        case .int32: "I32"
        case .int16: "I16"
        case .int8: "I8"
        case .uint8: "U8"
        case .uint16: "U16"
        case .uint32: "U32"
        case .uint64: "U64"
        case .bool: "BOOL"
        case .float8E4M3FN: "F8_E4M3"
        case .float8E4M3FNUZ: "F8_E4M3FNUZ"
        case .float8E5M2: "F8_E5M2"
        case .float8E5M2FNUZ: "F8_E5M2FNUZ"
        case .complex64: "C64"
        default: nil
        }
    }

    /// The dtype of a safetensors spelling.
    public static func fromSafetensors(_ name: String) -> DType? {
        allCases.first { $0.safetensorsName == name }
    }

    /// The NumPy type string (`<f4`), for the types NumPy has.
    public var numpyDescriptor: String? {
        switch self {
        case .float64: "<f8"
        case .float32: "<f4"
        case .float16: "<f2"
        case .complex64: "<c8"
        case .complex128: "<c16"
        case .int8: "|i1"
        case .int16: "<i2"
        case .int32: "<i4"
        case .int64: "<i8"
        case .uint8: "|u1"
        case .uint16: "<u2"
        case .uint32: "<u4"
        case .uint64: "<u8"
        case .bool: "|b1"
        default: nil
        }
    }
}

/// Shape arithmetic on numbers read from files: overflow is an error, never a trap.
enum ShapeMath {
    /// Product of the dimensions; `nil` on overflow or a negative dimension.
    static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return nil }
            count = product
        }
        return count
    }

    /// Bytes spanned by a strided view, from element 0 of its storage: `nil` on overflow or negative stride.
    static func requiredElements(shape: [Int], strides: [Int], offset: Int) -> Int? {
        guard shape.count == strides.count, offset >= 0 else { return nil }
        guard let count = elementCount(shape) else { return nil }
        if count == 0 { return offset }
        var last = offset
        for (dimension, stride) in zip(shape, strides) {
            guard stride >= 0 else { return nil }
            let (step, overflow1) = (dimension - 1).multipliedReportingOverflow(by: stride)
            guard !overflow1 else { return nil }
            let (sum, overflow2) = last.addingReportingOverflow(step)
            guard !overflow2 else { return nil }
            last = sum
        }
        let (end, overflow) = last.addingReportingOverflow(1)
        return overflow ? nil : end
    }

    /// Row-major strides for `shape`.
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for index in shape.indices.reversed() {
            strides[index] = running
            running = running &* max(shape[index], 1)
        }
        return strides
    }
}
