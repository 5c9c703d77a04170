import ModelSealCore

/// A safetensors file: an 8-byte little-endian header length, a JSON header, then a byte buffer.
///
/// ```
/// offset 0      u64 LE  N = header length (≤ maxHeaderBytes)
/// offset 8      N bytes JSON object, may be padded with spaces:
///                 "__metadata__": {str: str}                      (optional)
///                 name: {"dtype": str, "shape": [int], "data_offsets": [begin, end]}
/// offset 8+N    buffer: tensors' bytes, offsets relative to here, covering it exactly
/// ```
public struct SafetensorsFile: Sendable {
    /// The reference implementation's header cap.
    public static let maxHeaderBytes = 100_000_000
    /// Most dimensions per tensor.
    public static let maxRank = 64

    /// A tensor described by the header.
    public struct Tensor: Sendable, Equatable {
        public var name: String
        /// The dtype as spelled in the file (`BF16`).
        public var dtypeName: String
        /// The torch dtype, for the spellings torch loads.
        public var dtype: DType?
        public var shape: [Int]
        /// Absolute byte range in the file.
        public var dataRange: Range<Int>

        public var elementCount: Int { ShapeMath.elementCount(shape) ?? 0 }
    }

    public var headerLength: Int
    /// `__metadata__`, in file order.
    public var metadata: [(key: String, value: String)]
    /// Tensors in header order.
    public var tensors: [Tensor]
    /// Absolute offset of the byte buffer.
    public var dataOffset: Int

    /// Bits per element of every dtype the format defines.
    static let bitsPerElement: [String: Int] = [
        "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8, "F8_E8M0": 8,
        "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6, "I16": 16, "U16": 16, "F16": 16, "BF16": 16, "I32": 32, "U32": 32,
        "F32": 32, "F64": 64, "I64": 64, "U64": 64, "C64": 64,
    ]

    /// Parses the header of `source` and checks it against the file, reading nothing else.
    public static func read(from source: any ByteSource) throws -> SafetensorsFile {
        guard source.size >= 8 else {
            throw ModelFormatsError.truncated(what: "safetensors header length", offset: 0, needed: 8 - source.size)
        }
        var lengthField = ByteReader(try source.read(at: 0, count: 8))
        guard let declared = lengthField.readLittleEndian(UInt64.self) else {
            throw ModelFormatsError.truncated(
                what: "safetensors header length", offset: 0, needed: lengthField.remaining)
        }
        guard declared <= UInt64(maxHeaderBytes) else {
            throw ModelFormatsError.limitExceeded(what: "safetensors header length", limit: maxHeaderBytes, offset: 0)
        }
        let headerLength = Int(declared)
        guard headerLength <= source.size - 8 else {
            throw ModelFormatsError.truncated(
                what: "safetensors header", offset: 8, needed: headerLength - (source.size - 8))
        }
        let header = try source.read(at: 8, count: headerLength)
        guard header.first == UInt8(ascii: "{") else {
            throw ModelFormatsError.malformed(what: "safetensors header", offset: 8, reason: "does not start with {")
        }
        guard case let .object(members) = try ModelFormatsError.parseJSON(header, at: 8) else {
            throw ModelFormatsError.malformed(what: "safetensors header", offset: 8, reason: "not a JSON object")
        }
        let dataOffset = 8 + headerLength
        let bufferLength = source.size - dataOffset
        var metadata: [(key: String, value: String)] = []
        var tensors: [Tensor] = []
        for (name, value) in members {
            if name == "__metadata__" {
                guard case let .object(entries) = value else {
                    throw ModelFormatsError.malformed(
                        what: "safetensors __metadata__", offset: 8, reason: "not an object")
                }
                for (key, item) in entries {
                    guard let text = item.stringValue else {
                        throw ModelFormatsError.malformed(
                            what: "safetensors __metadata__", offset: 8, reason: "value of \"\(key)\" is not a string")
                    }
                    metadata.append((key, text))
                }
                continue
            }
            tensors.append(try tensor(name: name, value, dataOffset: dataOffset, bufferLength: bufferLength))
        }
        // The tensors must tile the buffer exactly: no gap, no overlap, nothing left over.
        var cursor = dataOffset
        for tensor in tensors.sorted(by: {
            ($0.dataRange.lowerBound, $0.dataRange.upperBound) < ($1.dataRange.lowerBound, $1.dataRange.upperBound)
        }) {
            guard tensor.dataRange.lowerBound == cursor else {
                throw ModelFormatsError.malformed(
                    what: "safetensors tensor \"\(tensor.name)\"", offset: tensor.dataRange.lowerBound,
                    reason: tensor.dataRange.lowerBound < cursor
                        ? "data overlaps another tensor" : "gap before the tensor's data")
            }
            cursor = tensor.dataRange.upperBound
        }
        guard cursor == source.size else {
            throw ModelFormatsError.malformed(
                what: "safetensors buffer", offset: cursor,
                reason: "\(source.size - cursor) byte(s) not covered by any tensor")
        }
        return SafetensorsFile(headerLength: headerLength, metadata: metadata, tensors: tensors, dataOffset: dataOffset)
    }

    static func tensor(name: String, _ value: JSONValue, dataOffset: Int, bufferLength: Int) throws -> Tensor {
        let what = "safetensors tensor \"\(name)\""
        guard case let .object(fields) = value else {
            throw ModelFormatsError.malformed(what: what, offset: 8, reason: "not an object")
        }
        for (key, _) in fields where !["dtype", "shape", "data_offsets"].contains(key) {
            throw ModelFormatsError.malformed(what: what, offset: 8, reason: "unknown field \"\(key)\"")
        }
        guard let dtypeName = value["dtype"]?.stringValue, let bits = bitsPerElement[dtypeName] else {
            throw ModelFormatsError.malformed(what: what, offset: 8, reason: "missing or unknown dtype")
        }
        guard case let .array(shapeValues)? = value["shape"], shapeValues.count <= maxRank else {
            throw ModelFormatsError.malformed(what: what, offset: 8, reason: "missing shape or rank above \(maxRank)")
        }
        let shape = try shapeValues.map { item -> Int in
            guard let dimension = item.intValue, dimension >= 0 else {
                throw ModelFormatsError.malformed(
                    what: what, offset: 8, reason: "shape holds a non-integer or negative value")
            }
            return dimension
        }
        guard case let .array(offsets)? = value["data_offsets"], offsets.count == 2,
            let begin = offsets[0].intValue, let end = offsets[1].intValue, begin >= 0, begin <= end
        else {
            throw ModelFormatsError.malformed(
                what: what, offset: 8, reason: "data_offsets must be [begin, end] with begin ≤ end")
        }
        guard end <= bufferLength else {
            throw ModelFormatsError.storageOutOfBounds(
                tensor: name, reason: "data_offsets end \(end) is past the buffer of \(bufferLength) bytes")
        }
        guard let count = ShapeMath.elementCount(shape) else {
            throw ModelFormatsError.overflow(what: "\(what) element count", offset: 8)
        }
        let (totalBits, overflow) = count.multipliedReportingOverflow(by: bits)
        guard !overflow else { throw ModelFormatsError.overflow(what: "\(what) byte count", offset: 8) }
        guard totalBits % 8 == 0, totalBits / 8 == end - begin else {
            throw ModelFormatsError.malformed(
                what: what, offset: 8,
                reason: "shape \(shape) of \(dtypeName) needs \(totalBits / 8) bytes, data_offsets span \(end - begin)")
        }
        return Tensor(
            name: name, dtypeName: dtypeName, dtype: DType.fromSafetensors(dtypeName), shape: shape,
            dataRange: (dataOffset + begin)..<(dataOffset + end))
    }
}

extension SafetensorsFile {
    /// A tensor to write: contiguous bytes from memory or from a file range.
    public struct TensorToWrite: Sendable {
        public var name: String
        public var dtype: DType
        public var shape: [Int]
        public var data: TorchCheckpoint.StorageData

        public init(name: String, dtype: DType, shape: [Int], data: TorchCheckpoint.StorageData) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.data = data
        }
    }

    /// Writes a safetensors file deterministically: tensors ordered by element size (largest first,
    /// so every tensor is aligned to its element size) then by name, header padded to 8 bytes.
    public static func write(
        _ tensors: [TensorToWrite], metadata: [(key: String, value: String)] = [], to sink: any ByteSink
    ) throws {
        let ordered = tensors.sorted {
            ($0.dtype.elementSize, $1.name) > ($1.dtype.elementSize, $0.name)
        }
        var members: [(String, JSONValue)] = []
        if !metadata.isEmpty {
            members.append(("__metadata__", .object(JSONObject(metadata.map { ($0.key, JSONValue.string($0.value)) }))))
        }
        var names: Set<String> = ["__metadata__"]
        var offset = 0
        for tensor in ordered {
            guard names.insert(tensor.name).inserted else {
                throw ModelFormatsError.conversionRefused("tensor name \"\(tensor.name)\" is duplicated or reserved")
            }
            guard let dtypeName = tensor.dtype.safetensorsName else {
                throw ModelFormatsError.conversionRefused(
                    "dtype \(tensor.dtype.rawValue) of \"\(tensor.name)\" has no safetensors equivalent")
            }
            guard let count = ShapeMath.elementCount(tensor.shape) else {
                throw ModelFormatsError.overflow(what: "tensor \(tensor.name) element count", offset: 0)
            }
            let bytes = count * tensor.dtype.elementSize
            members.append(
                (
                    tensor.name,
                    .object([
                        ("dtype", .string(dtypeName)),
                        ("shape", .array(tensor.shape.map { .integer($0) })),
                        ("data_offsets", .array([.integer(offset), .integer(offset + bytes)])),
                    ])
                ))
            offset += bytes
        }
        var header = Array(JSONWriter.serialize(.object(JSONObject(members))).utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var prefix = [UInt8]()
        var length = UInt64(header.count)
        for _ in 0..<8 {
            prefix.append(UInt8(length & 0xFF))
            length >>= 8
        }
        try sink.write(prefix + header)
        var buffer: [UInt8] = []
        for tensor in ordered {
            let bytes = (ShapeMath.elementCount(tensor.shape) ?? 0) * tensor.dtype.elementSize
            switch tensor.data {
            case let .bytes(data):
                guard data.count == bytes else {
                    throw ModelFormatsError.storageOutOfBounds(
                        tensor: tensor.name, reason: "data length differs from shape × dtype size")
                }
                try sink.write(data)
            case let .slice(source, range):
                guard range.count == bytes else {
                    throw ModelFormatsError.storageOutOfBounds(
                        tensor: tensor.name, reason: "data length differs from shape × dtype size")
                }
                if let file = source as? InputFile, let output = sink as? OutputFile, output.canTransfer {
                    try output.transfer(from: file, range: range)
                } else {
                    try TorchCheckpoint.streamCopy(from: source, range: range, buffer: &buffer) { try sink.write($0) }
                }
            }
        }
    }
}
