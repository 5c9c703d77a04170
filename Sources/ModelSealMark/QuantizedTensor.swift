import ModelFormats
import ModelSealCore

/// A suspect's weight stored as integer codes with per-row or per-group scales, read back as floats for
/// tracing (spec/MARK.md §4.1): `w = (code − zero) × scale × multiplier`. The layouts recognised are in
/// `QuantizedLayouts`.
public struct QuantizedTensor: Sendable, Equatable {
    /// How the integer codes are stored, row-major in the original's shape.
    public enum Codes: String, Sendable, Equatable {
        case int8, uint8
        /// Eight 4-bit codes per little-endian int32, the first in the lowest bits, each stored as code + 8;
        /// every row starts a new int32 (compressed-tensors `pack_to_int32`, 4 bits).
        case int4PackedInt32 = "int4-packed-int32"
    }

    /// Scales or zero points: one value, or `perRow` values for each row (row `r`, group `g` at
    /// `r·perRow + g`) stored in the file.
    public enum Numbers: Sendable, Equatable {
        case constant(Double)
        case stored(range: Range<Int>, dtype: DType, perRow: Int)
    }

    /// The float original's name (`M.weight`).
    public var name: String
    /// The tool layout, for the report (`torch per_channel_affine qint8`, `compressed-tensors int4 pack`...).
    public var layout: String
    public var shape: [Int]
    public var codes: Codes
    public var codeRange: Range<Int>
    public var scales: Numbers
    public var zeroPoints: Numbers
    /// Consecutive elements of a row sharing one scale (the row's length for per-channel scales).
    public var groupSize: Int
    public var multiplier: Double = 1

    var rows: Int { max(1, shape.first ?? 1) }
    var columns: Int { shape.reduce(1, *) / rows }
    /// Bytes of codes per row.
    var rowBytes: Int { codes == .int4PackedInt32 ? (columns + 7) / 8 * 4 : columns }

    /// The element types scales and zero points may have.
    static let numberTypes: Set<DType> = [.float64, .float32, .float16, .bfloat16, .int8, .uint8, .int32, .int64]

    /// The dequantized elements `elements` (row-major), reading only the rows they touch.
    func floats(source: any ByteSource, elements: Range<Int>) throws -> [Float] {
        let count = rows * columns
        let wanted = elements.clamped(to: 0..<count)
        guard !wanted.isEmpty else { return [] }
        let firstRow = wanted.lowerBound / columns
        let endRow = (wanted.upperBound - 1) / columns + 1
        let codeBytes = try source.read(
            at: codeRange.lowerBound + firstRow * rowBytes, count: (endRow - firstRow) * rowBytes)
        let scaleValues = try values(scales, source: source, rows: firstRow..<endRow)
        let zeroValues = try values(zeroPoints, source: source, rows: firstRow..<endRow)
        let groupsPerRow = (columns + groupSize - 1) / groupSize
        var output = [Float](repeating: 0, count: wanted.count)
        for index in wanted {
            let row = index / columns - firstRow
            let column = index % columns
            let code = Self.code(codes, codeBytes, row: row, column: column, rowBytes: rowBytes)
            let group = row * groupsPerRow + column / groupSize
            let scale = scaleValues.count == 1 ? scaleValues[0] : scaleValues[group]
            let zero = zeroValues.count == 1 ? zeroValues[0] : zeroValues[group]
            output[index - wanted.lowerBound] = Float((Double(code) - zero) * scale * multiplier)
        }
        return output
    }

    static func code(_ codes: Codes, _ bytes: [UInt8], row: Int, column: Int, rowBytes: Int) -> Int {
        switch codes {
        case .int8: return Int(Int8(bitPattern: bytes[row * rowBytes + column]))
        case .uint8: return Int(bytes[row * rowBytes + column])
        case .int4PackedInt32:
            let byte = bytes[row * rowBytes + column / 2]
            return Int(column % 2 == 0 ? byte & 0x0F : byte >> 4) - 8
        }
    }

    /// The scales or zero points of `rows` (one value for a constant).
    func values(_ numbers: Numbers, source: any ByteSource, rows: Range<Int>) throws -> [Double] {
        switch numbers {
        case .constant(let value): return [value]
        case .stored(let range, let dtype, let perRow):
            let size = dtype.elementSize
            let bytes = try source.read(
                at: range.lowerBound + rows.lowerBound * perRow * size, count: rows.count * perRow * size)
            return (0..<(rows.count * perRow)).map { Self.number(bytes, at: $0 * size, dtype: dtype) }
        }
    }

    /// The little-endian number of `dtype` at `offset`.
    static func number(_ bytes: [UInt8], at offset: Int, dtype: DType) -> Double {
        var raw: UInt64 = 0
        for index in (0..<dtype.elementSize).reversed() { raw = raw << 8 | UInt64(bytes[offset + index]) }
        switch dtype {
        case .float64: return Double(bitPattern: raw)
        case .float32: return Double(Float(bitPattern: UInt32(truncatingIfNeeded: raw)))
        case .float16: return Double(MarkDType.halfToFloat(UInt16(truncatingIfNeeded: raw)))
        case .bfloat16: return Double(Float(bitPattern: UInt32(truncatingIfNeeded: raw) << 16))
        case .int8: return Double(Int8(truncatingIfNeeded: raw))
        case .int32: return Double(Int32(truncatingIfNeeded: raw))
        case .int64: return Double(Int64(bitPattern: raw))
        default: return Double(raw)
        }
    }
}
