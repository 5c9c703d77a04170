import ModelSealCore

/// A NumPy `.npy` array: header read and checked, data located, object arrays pickled.
///
/// ```
/// offset 0  6 bytes  "\x93NUMPY"
/// offset 6  u8 major (1, 2 or 3), u8 minor (0)
/// offset 8  u16 LE (v1) or u32 LE (v2, v3) header length H
///           H bytes  Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
///                    padded with spaces, ending in '\n'
///           data     count × itemsize bytes, or a pickle for object arrays ('|O')
/// ```
public struct NpyArray: Sendable {
    public static let magic = Magic.npy
    /// NumPy's own cap on header length.
    public static let maxHeaderBytes = 10_000
    public static let maxRank = 64

    /// The `descr` string (`<f4`, `|O`).
    public var descriptor: String
    /// The matching torch dtype for plain numeric types in little-endian or byte order-free form.
    public var dtype: DType?
    public var fortranOrder: Bool
    public var shape: [Int]
    /// Where the data lies in the source (for object arrays, the pickle).
    public var dataRange: Range<Int>
    /// For object arrays: what the restricted pickle machine made of the data.
    public var pickle: PickleResult?
    public var formatVersion: Int

    public var isObjectArray: Bool { pickle != nil }
    public var elementCount: Int { ShapeMath.elementCount(shape) ?? 0 }

    /// Item size in bytes for the descriptor kinds we model.
    static func itemSize(_ descriptor: String) -> Int? {
        guard descriptor.count >= 3 else { return nil }
        let kind = descriptor.dropFirst().first
        guard let size = Int(descriptor.dropFirst(2)), size > 0, size <= 64 else { return nil }
        switch kind {
        case "b", "i", "u", "f", "c", "S", "V": return size
        case "U": return size.multipliedReportingOverflow(by: 4).overflow ? nil : size * 4
        default: return nil
        }
    }

    /// Reads magic, version and header length: the format version, where the header starts and its length.
    static func readPreamble(_ source: any ByteSource) throws -> (major: Int, headerStart: Int, headerLength: Int) {
        guard source.size >= 10 else {
            throw ModelFormatsError.truncated(what: ".npy header", offset: 0, needed: 10 - source.size)
        }
        var preamble = ByteReader(try source.read(at: 0, count: min(source.size, 12)))
        guard let magicBytes = preamble.readBytes(magic.count), magicBytes.elementsEqual(magic) else {
            throw ModelFormatsError.malformed(what: ".npy file", offset: 0, reason: "missing \\x93NUMPY magic")
        }
        guard let majorByte = preamble.readUInt8(), let minor = preamble.readUInt8() else {
            throw ModelFormatsError.truncated(what: ".npy header", offset: preamble.position, needed: 2)
        }
        let major = Int(majorByte)
        guard (1...3).contains(major), minor == 0 else {
            throw ModelFormatsError.unsupported(".npy format version \(major).\(minor)")
        }
        // Version 1 has a 2-byte header length, later versions a 4-byte one.
        let headerLength: Int
        if major == 1 {
            guard let length = preamble.readLittleEndian(UInt16.self) else {
                throw ModelFormatsError.truncated(what: ".npy header length", offset: 8, needed: 2)
            }
            headerLength = Int(length)
        } else {
            guard let length = preamble.readLittleEndian(UInt32.self) else {
                throw ModelFormatsError.truncated(what: ".npy header length", offset: 8, needed: 4)
            }
            headerLength = Int(length)
        }
        let headerStart = preamble.position
        return (major, headerStart, headerLength)
    }

    /// Reads the array in `source` (the whole source is the `.npy` file).
    public static func read(from source: any ByteSource, allowlist: PickleAllowlist = .torchWeightsOnly) throws
        -> NpyArray
    {
        let (major, headerStart, headerLength) = try readPreamble(source)
        guard headerLength <= maxHeaderBytes else {
            throw ModelFormatsError.limitExceeded(what: ".npy header length", limit: maxHeaderBytes, offset: 8)
        }
        let header = try source.read(headerStart..<(headerStart + headerLength), what: ".npy header")
        var literal = PythonLiteralParser(bytes: header, baseOffset: headerStart)
        let fields = try literal.parseHeaderDict()
        guard let descriptor = fields.descr, let fortran = fields.fortranOrder, let shape = fields.shape else {
            throw ModelFormatsError.malformed(
                what: ".npy header", offset: headerStart, reason: "needs descr, fortran_order and shape")
        }
        guard shape.count <= maxRank else {
            throw ModelFormatsError.limitExceeded(what: ".npy rank", limit: maxRank, offset: headerStart)
        }
        guard let count = ShapeMath.elementCount(shape) else {
            throw ModelFormatsError.overflow(what: ".npy element count", offset: headerStart)
        }
        let dataStart = headerStart + headerLength
        if descriptor == "|O" || descriptor == "<O" || descriptor == ">O" || descriptor == "O" {
            let bytes = try source.read(dataStart..<source.size, what: ".npy object data")
            guard bytes.count <= TorchCheckpoint.Limits.maxPickleBytes else {
                throw ModelFormatsError.limitExceeded(
                    what: ".npy object pickle", limit: TorchCheckpoint.Limits.maxPickleBytes, offset: dataStart)
            }
            let result = try PickleMachine(allowlist: allowlist).run(bytes, baseOffset: dataStart)
            return NpyArray(
                descriptor: descriptor, dtype: nil, fortranOrder: fortran, shape: shape,
                dataRange: dataStart..<source.size, pickle: result, formatVersion: major)
        }
        guard let itemSize = itemSize(descriptor), let order = descriptor.first, "<>|=".contains(order) else {
            throw ModelFormatsError.unsupported(".npy dtype \"\(descriptor)\"")
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: itemSize)
        guard !overflow else { throw ModelFormatsError.overflow(what: ".npy data size", offset: headerStart) }
        guard byteCount <= source.size - dataStart else {
            throw ModelFormatsError.truncated(
                what: ".npy data", offset: dataStart, needed: byteCount - (source.size - dataStart))
        }
        guard byteCount == source.size - dataStart else {
            throw ModelFormatsError.malformed(
                what: ".npy file", offset: dataStart + byteCount,
                reason: "\(source.size - dataStart - byteCount) byte(s) after the data")
        }
        let littleOrNone = order == "<" || order == "|" || (order == "=" && itemSize == 1)
        let dtype =
            littleOrNone ? DType.allCases.first { $0.numpyDescriptor?.dropFirst() == descriptor.dropFirst() } : nil
        return NpyArray(
            descriptor: descriptor, dtype: dtype, fortranOrder: fortran, shape: shape,
            dataRange: dataStart..<(dataStart + byteCount), pickle: nil, formatVersion: major)
    }

    /// Writes a C-order, little-endian array as `.npy` version 1.0.
    public static func write(dtype: DType, shape: [Int], data: [UInt8], to sink: any ByteSink) throws {
        guard let descriptor = dtype.numpyDescriptor else {
            throw ModelFormatsError.conversionRefused("dtype \(dtype.rawValue) has no NumPy equivalent")
        }
        guard let count = ShapeMath.elementCount(shape), count * dtype.elementSize == data.count else {
            throw ModelFormatsError.storageOutOfBounds(
                tensor: "array", reason: "data length differs from shape × item size")
        }
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = Array("{'descr': '\(descriptor)', 'fortran_order': False, 'shape': \(shapeText), }".utf8)
        while (10 + header.count + 1) % 64 != 0 { header.append(0x20) }
        header.append(0x0A)
        var bytes = magic + [1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8)]
        bytes += header
        try sink.write(bytes)
        try sink.write(data)
    }
}

/// The `.npy` header: a Python dict literal of strings, booleans and int tuples.
struct PythonLiteralParser {
    let bytes: [UInt8]
    let baseOffset: Int
    var position = 0

    init(bytes: [UInt8], baseOffset: Int) {
        self.bytes = bytes
        self.baseOffset = baseOffset
    }

    func fail(_ reason: String) -> ModelFormatsError {
        .malformed(what: ".npy header", offset: baseOffset + position, reason: reason)
    }

    mutating func space() {
        while position < bytes.count, [0x20, 0x0A, 0x09, 0x0D].contains(bytes[position]) { position += 1 }
    }

    mutating func take(_ byte: UInt8) -> Bool {
        space()
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    mutating func string() throws -> String {
        space()
        guard position < bytes.count, let quote = Optional(bytes[position]), quote == 0x27 || quote == 0x22 else {
            throw fail("expected a quoted string")
        }
        position += 1
        let start = position
        while position < bytes.count, bytes[position] != quote {
            guard bytes[position] != 0x5C else { throw fail("escapes are not expected in .npy headers") }
            position += 1
        }
        guard position < bytes.count else { throw fail("unterminated string") }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        position += 1
        return text
    }

    mutating func word() -> String {
        space()
        let start = position
        while position < bytes.count, (0x41...0x5A).contains(bytes[position]) || (0x61...0x7A).contains(bytes[position])
        {
            position += 1
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    mutating func integer() throws -> Int {
        space()
        let start = position
        while position < bytes.count, (0x30...0x39).contains(bytes[position]) { position += 1 }
        if position < bytes.count, bytes[position] == UInt8(ascii: "L") { position += 1 }
        let digits = String(decoding: bytes[start..<position], as: UTF8.self).replacingL()
        guard position - start <= 19, let value = Int(digits) else { throw fail("expected a dimension") }
        return value
    }

    mutating func parseHeaderDict() throws -> (descr: String?, fortranOrder: Bool?, shape: [Int]?) {
        var descr: String?
        var fortran: Bool?
        var shape: [Int]?
        var seen: Set<String> = []
        guard take(UInt8(ascii: "{")) else { throw fail("expected {") }
        while !take(UInt8(ascii: "}")) {
            let key = try string()
            guard seen.insert(key).inserted else { throw fail("duplicate key \"\(key)\"") }
            guard take(UInt8(ascii: ":")) else { throw fail("expected :") }
            switch key {
            case "descr":
                space()
                guard position < bytes.count, bytes[position] != UInt8(ascii: "[") else {
                    throw ModelFormatsError.unsupported(".npy structured dtypes")
                }
                descr = try string()
            case "fortran_order":
                switch word() {
                case "True": fortran = true
                case "False": fortran = false
                default: throw fail("fortran_order must be True or False")
                }
            case "shape":
                guard take(UInt8(ascii: "(")) else { throw fail("shape must be a tuple") }
                var dimensions: [Int] = []
                while !take(UInt8(ascii: ")")) {
                    guard dimensions.count < NpyArray.maxRank else { throw fail("too many dimensions") }
                    dimensions.append(try integer())
                    if !take(UInt8(ascii: ",")) {
                        guard take(UInt8(ascii: ")")) else { throw fail("expected , or )") }
                        break
                    }
                }
                shape = dimensions
            default:
                throw fail("unexpected key \"\(key)\"")
            }
            if !take(UInt8(ascii: ",")) {
                guard take(UInt8(ascii: "}")) else { throw fail("expected , or }") }
                break
            }
        }
        space()
        guard position == bytes.count else { throw fail("unexpected data after the header dict") }
        return (descr, fortran, shape)
    }
}

extension String {
    fileprivate func replacingL() -> String { hasSuffix("L") ? String(dropLast()) : self }
}
