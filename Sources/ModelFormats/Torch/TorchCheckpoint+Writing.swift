import ModelSealCore

/// Writing checkpoints in the zip format that `torch.load(weights_only=True)` reads.
extension TorchCheckpoint {
    /// Where a storage's bytes come from when writing.
    public enum StorageData: Sendable {
        case bytes([UInt8])
        /// `range` of `source`, copied in bounded chunks.
        case slice(any ByteSource, Range<Int>)
    }

    /// A storage to write: `key` names its record `data/<key>`.
    public struct StorageToWrite: Sendable {
        public var key: String
        public var byteCount: Int
        public var data: StorageData

        public init(key: String, byteCount: Int, data: StorageData) {
            self.key = key
            self.byteCount = byteCount
            self.data = data
        }
    }

    /// Bytes copied per read when streaming storages.
    public static let copyChunkSize = 4 << 20

    /// Writes `tensors` (each viewing one of `storages`) as an `OrderedDict` state_dict in torch's
    /// zip layout: `archive/data.pkl`, `.format_version`, `.storage_alignment`, `byteorder`,
    /// `data/<key>` (64-byte aligned) and `version`.
    public static func write(
        tensors: [TorchTensor], storages: [StorageToWrite], to sink: any ByteSink, recordPrefix: String = "archive"
    ) throws {
        var sizes: [String: Int] = [:]
        for storage in storages {
            guard sizes.updateValue(storage.byteCount, forKey: storage.key) == nil else {
                throw ModelFormatsError.unsupported("storage key \(storage.key) given twice")
            }
        }
        var names: Set<String> = []
        var pickle = PickleWriter()
        pickle.emptyOrderedDict()
        pickle.put()
        var batch = 0
        for tensor in tensors {
            guard names.insert(tensor.name).inserted else {
                throw ModelFormatsError.unsupported("tensor name \(tensor.name) given twice")
            }
            guard let storageBytes = sizes[tensor.storageKey] else {
                throw ModelFormatsError.storageOutOfBounds(
                    tensor: tensor.name, reason: "storage \(tensor.storageKey) is not written")
            }
            guard
                let needed = ShapeMath.requiredElements(
                    shape: tensor.shape, strides: tensor.strides, offset: tensor.storageOffset),
                needed <= storageBytes / tensor.dtype.elementSize
            else {
                throw ModelFormatsError.storageOutOfBounds(tensor: tensor.name, reason: "the view exceeds its storage")
            }
            if batch == 0 { pickle.op(.mark) }
            pickle.string(tensor.name)
            emitTensor(tensor, storageBytes: storageBytes, into: &pickle)
            batch += 1
            if batch == 1000 {
                pickle.op(.setItems)
                batch = 0
            }
        }
        if batch > 0 { pickle.op(.setItems) }
        pickle.stop()

        let zip = ZipWriter(sink: sink, alignment: 64)
        let prefix = recordPrefix + "/"
        try zip.addEntry(name: prefix + "data.pkl", bytes: pickle.output.bytes)
        try zip.addEntry(name: prefix + ".format_version", bytes: Array("1".utf8))
        try zip.addEntry(name: prefix + ".storage_alignment", bytes: Array("64".utf8))
        try zip.addEntry(name: prefix + "byteorder", bytes: Array("little".utf8))
        var buffer: [UInt8] = []
        let copier = ChecksummedCopier()
        for storage in storages {
            try zip.beginEntry(name: prefix + "data/" + storage.key, expectedSize: storage.byteCount)
            try copy(storage, into: zip, buffer: &buffer, copier: copier)
        }
        try zip.addEntry(name: prefix + "version", bytes: Array("3\n".utf8))
        try zip.finish()
    }

    static func copy(
        _ storage: StorageToWrite, into zip: ZipWriter, buffer: inout [UInt8], copier: ChecksummedCopier
    ) throws {
        switch storage.data {
        case let .bytes(bytes):
            guard bytes.count == storage.byteCount else {
                throw ModelFormatsError.storageOutOfBounds(
                    tensor: storage.key, reason: "data length differs from the declared size")
            }
            try zip.write(bytes)
        case let .slice(source, range):
            guard range.count == storage.byteCount else {
                throw ModelFormatsError.storageOutOfBounds(
                    tensor: storage.key, reason: "data length differs from the declared size")
            }
            if let file = source as? InputFile, range.count > copyChunkSize {
                try zip.endEntryAfterCopy(crc: try copier.copy(from: file, range: range, into: zip))
                return
            }
            try streamCopy(from: source, range: range, buffer: &buffer) { try zip.write($0) }
        }
        try zip.endEntry()
    }

    /// Copies `range` of `source` in `copyChunkSize` pieces through one reused buffer.
    static func streamCopy(
        from source: any ByteSource, range: Range<Int>, buffer: inout [UInt8],
        _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        if buffer.count < copyChunkSize { buffer = [UInt8](repeating: 0, count: copyChunkSize) }
        var position = range.lowerBound
        while position < range.upperBound {
            let count = min(copyChunkSize, range.upperBound - position)
            if let file = source as? InputFile {
                try buffer.withUnsafeMutableBytes { raw in
                    try file.readFully(into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<count]), at: position)
                }
                try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            } else {
                let chunk = try source.read(at: position, count: count)
                try chunk.withUnsafeBytes { try body($0) }
            }
            position += count
        }
    }

    /// `_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict())` with a typed
    /// storage class, or `_rebuild_tensor_v3(..., dtype)` over an untyped storage for newer dtypes,
    /// exactly as torch 2.x pickles them; parameters wrap it in `_rebuild_parameter`.
    static func emitTensor(_ tensor: TorchTensor, storageBytes: Int, into pickle: inout PickleWriter) {
        if tensor.isParameter {
            pickle.global("torch._utils", "_rebuild_parameter")
            pickle.op(.mark)
        }
        let typed = tensor.dtype.legacyStorageClass
        pickle.global("torch._utils", typed == nil ? "_rebuild_tensor_v3" : "_rebuild_tensor_v2")
        pickle.op(.mark)
        pickle.op(.mark)
        pickle.string("storage")
        if let typed {
            pickle.global("torch", typed)
        } else {
            pickle.global("torch.storage", "UntypedStorage")
        }
        pickle.string(tensor.storageKey)
        pickle.string("cpu")
        pickle.int(typed == nil ? storageBytes : storageBytes / tensor.dtype.elementSize)
        pickle.op(.tuple)
        pickle.op(.binPersID)
        pickle.int(tensor.storageOffset)
        pickle.intTuple(tensor.shape)
        pickle.intTuple(tensor.strides)
        pickle.bool(tensor.requiresGrad && !tensor.isParameter)
        pickle.emptyOrderedDict()
        if typed == nil { pickle.global("torch", tensor.dtype.rawValue) }
        pickle.op(.tuple)
        pickle.op(.reduce)
        if tensor.isParameter {
            pickle.bool(tensor.requiresGrad)
            pickle.emptyOrderedDict()
            pickle.op(.tuple)
            pickle.op(.reduce)
        }
    }
}
