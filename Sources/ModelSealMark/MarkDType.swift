import ModelFormats

/// The float element types a mark is written into and read from, with exact conversions to `Float`.
public enum MarkDType: String, Sendable, Equatable {
    case float32, float16, bfloat16

    public init?(_ dtype: DType) {
        switch dtype {
        case .float32: self = .float32
        case .float16: self = .float16
        case .bfloat16: self = .bfloat16
        default: return nil
        }
    }

    public var elementSize: Int { self == .float32 ? 4 : 2 }

    /// The element at `index` of little-endian `bytes`, widened exactly to `Float`.
    @inline(__always)
    public func load(_ bytes: UnsafeRawPointer, _ index: Int) -> Float {
        switch self {
        case .float32:
            return Float(
                bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)))
        case .float16:
            let bits = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self))
            return MarkDType.halfToFloat(bits)
        case .bfloat16:
            let bits = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self))
            return Float(bitPattern: UInt32(bits) << 16)
        }
    }

    /// Stores `value` rounded to nearest, ties to even, as the element at `index`.
    @inline(__always)
    public func store(_ value: Float, _ bytes: UnsafeMutableRawPointer, _ index: Int) {
        switch self {
        case .float32:
            bytes.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: index * 4, as: UInt32.self)
        case .float16:
            bytes.storeBytes(of: MarkDType.floatToHalf(value).littleEndian, toByteOffset: index * 2, as: UInt16.self)
        case .bfloat16:
            bytes.storeBytes(
                of: MarkDType.floatToBFloat16(value).littleEndian, toByteOffset: index * 2, as: UInt16.self)
        }
    }

    /// The raw bits of the element at `index` (for ulp distances).
    @inline(__always)
    func bits(_ bytes: UnsafeRawPointer, _ index: Int) -> Int64 {
        switch self {
        case .float32:
            return Int64(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)))
        case .float16, .bfloat16:
            return Int64(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)))
        }
    }

    var signBit: Int64 { self == .float32 ? 1 << 31 : 1 << 15 }

    /// The bits as a signed integer whose order is the order of the values (±0 both map to 0).
    func ordered(_ bits: Int64) -> Int64 { bits & signBit != 0 ? -(bits & (signBit - 1)) : bits }

    /// Distance in units in the last place (representable values apart) between two finite values given as bits.
    func ulpDistance(_ a: Int64, _ b: Int64) -> Int64 { abs(ordered(a) - ordered(b)) }

    /// The bits of the representable value next to `bits`, upward or downward.
    func adjacent(_ bits: Int64, up: Bool) -> Int64 {
        let next = ordered(bits) + (up ? 1 : -1)
        return next >= 0 ? next : signBit | -next
    }

    /// Stores raw bits as the element at `index`.
    func storeBits(_ bits: Int64, _ bytes: UnsafeMutableRawPointer, _ index: Int) {
        if self == .float32 {
            bytes.storeBytes(
                of: UInt32(truncatingIfNeeded: bits).littleEndian, toByteOffset: index * 4, as: UInt32.self)
        } else {
            bytes.storeBytes(
                of: UInt16(truncatingIfNeeded: bits).littleEndian, toByteOffset: index * 2, as: UInt16.self)
        }
    }

    /// IEEE binary16 → binary32, exact (subnormals included).
    @inline(__always)
    static func halfToFloat(_ bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x3FF)
        if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
        if exponent == 0 {
            let magnitude = Float(mantissa) * 0x1p-24
            return sign != 0 ? -magnitude : magnitude
        }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }

    /// binary32 → binary16, round to nearest even (overflow to infinity, as torch's `.half()`).
    @inline(__always)
    static func floatToHalf(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let magnitude = bits & 0x7FFF_FFFF
        if magnitude >= 0x7F80_0000 {
            return sign | (magnitude > 0x7F80_0000 ? 0x7E00 : 0x7C00)
        }
        if magnitude >= 0x477F_F000 { return sign | 0x7C00 }  // rounds to ≥ 65520: infinity
        if magnitude < 0x3880_0000 {
            // Subnormal or zero in binary16: scale by 2^24 and round with the FPU (exact rounding).
            let scaled = Float(bitPattern: magnitude) * 0x1p24
            return sign | UInt16(scaled.rounded(.toNearestOrEven))
        }
        let rebiased = magnitude &- 0x3800_0000
        let rounded = rebiased &+ 0x0FFF &+ ((rebiased >> 13) & 1)
        return sign | UInt16(truncatingIfNeeded: rounded >> 13)
    }

    /// binary32 → bfloat16, round to nearest even (NaN stays a quiet NaN).
    @inline(__always)
    static func floatToBFloat16(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x0040 }
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }
}
