import ModelSealCore

/// The model file formats we recognise, by content.
public enum ModelFileFormat: String, Sendable {
    case pytorchZip = "pytorch-zip"
    case pytorchLegacy = "pytorch-legacy"
    case safetensors
    case npy
    case npz
    /// A bare pickle, or several back to back (not a checkpoint layout we recognise): globals and values only.
    case pickle
    /// A ModelSeal sealed container (handled by the container modules).
    case sealed

    /// Largest signature-less file tried as a protocol 0/1 pickle during detection.
    public static let maxSniffedPickleBytes = 16 << 20

    /// Identifies `source` from its first bytes (and, for zip archives, its member names).
    public static func detect(_ source: any ByteSource) throws -> ModelFileFormat? {
        try detectWithArchive(source).format
    }

    /// Detection that hands back the walked zip archive, so callers do not walk it twice.
    static func detectWithArchive(_ source: any ByteSource) throws -> (format: ModelFileFormat?, archive: ZipArchive?) {
        let head = try source.read(at: 0, count: min(source.size, sniffLength))
        switch sniff(head, size: source.size) {
        case .pytorchZip?:
            let archive = try ZipArchive(source: source, strict: false)
            if archive.entries.contains(where: { $0.name == "data.pkl" || $0.name.hasSuffix("/data.pkl") }) {
                return (.pytorchZip, archive)
            }
            if !archive.entries.isEmpty && archive.entries.allSatisfy({ $0.name.hasSuffix(".npy") }) {
                return (.npz, archive)
            }
            return (nil, archive)
        case let format?:
            return (format, nil)
        case nil:
            // Protocol 0 and 1 pickles have no signature: a small file that runs to a STOP is one.
            if source.size <= maxSniffedPickleBytes, let first = head.first, PickleOpcode(rawValue: first) != nil {
                let bytes = try source.read(at: 0, count: source.size)
                if (try? PickleMachine().run(bytes)) != nil { return (.pickle, nil) }
            }
            return (nil, nil)
        }
    }

    /// Bytes `sniff` looks at.
    public static let sniffLength = 16

    /// The one content sniffer: what the first `sniffLength` bytes of a `size`-byte input say it is
    /// (`Int.max` when the size is unknown, as on a pipe). A zip is reported as `.pytorchZip` until
    /// its member names are read (`detect`); protocol 0 and 1 pickles have no signature (`nil`).
    public static func sniff(_ head: [UInt8], size: Int) -> ModelFileFormat? {
        if head.starts(with: Magic.sealed) { return .sealed }
        if head.starts(with: Magic.npy) { return .npy }
        if ZipArchive.looksLikeZip(head) { return .pytorchZip }
        // A legacy checkpoint starts with the pickled magic number: PROTO 2, LONG1 10 bytes.
        if head.count >= 14, head[0] == 0x80, head[2] == 0x8A, head[3] == 0x0A,
            Array(head[4..<14]) == TorchCheckpoint.legacyMagic
        {
            return .pytorchLegacy
        }
        var lengthField = ByteReader(head)
        if head.count >= 9, head[8] == UInt8(ascii: "{"), let length = lengthField.readLittleEndian(UInt64.self),
            length <= UInt64(SafetensorsFile.maxHeaderBytes), length <= UInt64(max(0, size - 8))
        {
            return .safetensors
        }
        if head.count >= 2, head[0] == PickleOpcode.proto.rawValue, head[1] <= 5 { return .pickle }
        return nil
    }
}

/// What `modelseal inspect` shows, independent of the file format.
public struct ModelInspection: Sendable {
    /// Version of the `--json` schema (docs/FOREIGN-FORMATS.md).
    public static let schemaVersion = 1

    public struct Tensor: Sendable {
        public var name: String
        /// torch dtype name, or the file's own spelling when torch has none.
        public var dtype: String
        public var shape: [Int]
        public var elements: Int
        public var bytes: Int
        public var storage: String?
        public var storageOffset: Int?
        public var strides: [Int]?
        /// Quantization scheme and parameters (PyTorch quantized tensors only).
        public var quantization: String? = nil
    }

    public var format: ModelFileFormat
    public var formatVersion: String?
    public var tensors: [Tensor]
    public var globals: [GlobalReference]
    public var metadata: [TorchMetadataEntry]
    public var sharedStorages: [[String]]
    public var diagnostics: [ZipDiagnostic]
    public var isPureTensorData: Bool

    public var totalElements: Int { tensors.reduce(0) { $0 &+ $1.elements } }
    public var totalBytes: Int { tensors.reduce(0) { $0 &+ $1.bytes } }

    /// Inspects `source`, reading only headers, directories and pickles.
    public static func inspect(_ source: any ByteSource, allowlist: PickleAllowlist = .torchWeightsOnly) throws
        -> ModelInspection?
    {
        let (detected, archive) = try ModelFileFormat.detectWithArchive(source)
        guard let format = detected else { return nil }
        switch format {
        case .sealed:
            return nil
        case .pytorchZip:
            guard let archive else { return nil }
            if let first = archive.diagnostics.first(where: { $0.severity == .error }) {
                throw ModelFormatsError.zip(offset: first.offset, member: first.member, reason: first.message)
            }
            return ModelInspection(checkpoint: try TorchCheckpoint.readZip(archive, allowlist: allowlist))
        case .pytorchLegacy:
            return ModelInspection(checkpoint: try TorchCheckpoint.readLegacy(from: source, allowlist: allowlist))
        case .safetensors:
            let file = try SafetensorsFile.read(from: source)
            let tensors = file.tensors.map {
                Tensor(
                    name: $0.name, dtype: $0.dtype?.rawValue ?? $0.dtypeName, shape: $0.shape,
                    elements: $0.elementCount,
                    bytes: $0.dataRange.count, storage: nil, storageOffset: nil, strides: nil)
            }
            let metadata = file.metadata.map {
                TorchMetadataEntry(path: "__metadata__." + $0.key, kind: .attribute, summary: $0.value)
            }
            return ModelInspection(
                format: .safetensors, formatVersion: nil, tensors: tensors, globals: [], metadata: metadata,
                sharedStorages: [], diagnostics: [], isPureTensorData: true)
        case .npy:
            let array = try NpyArray.read(from: source, allowlist: allowlist)
            return ModelInspection(arrays: [("array", array)], format: .npy, diagnostics: [])
        case .npz:
            let archive = try NpzArchive.read(from: source, allowlist: allowlist)
            return ModelInspection(
                arrays: archive.members.map { ($0.name, $0.array) }, format: .npz, diagnostics: archive.zipDiagnostics)
        case .pickle:
            return try inspectPickleStream(source, allowlist: allowlist)
        }
    }

    /// Runs pickles back to back until the end of the file (legacy-like layouts, bare `.pkl` files).
    static func inspectPickleStream(_ source: any ByteSource, allowlist: PickleAllowlist) throws -> ModelInspection {
        guard source.size <= TorchCheckpoint.Limits.maxPickleBytes else {
            throw ModelFormatsError.limitExceeded(
                what: "pickle file size", limit: TorchCheckpoint.Limits.maxPickleBytes, offset: 0)
        }
        let bytes = try source.read(at: 0, count: source.size)
        let machine = PickleMachine(allowlist: allowlist)
        var globals: [GlobalReference] = []
        var metadata: [TorchMetadataEntry] = []
        var offset = 0
        var index = 0
        while offset < bytes.count {
            let result: PickleResult
            do {
                result = try machine.run(bytes, range: offset..<bytes.count, baseOffset: offset)
            } catch let error as ModelFormatsError {
                if index == 0 { throw error }
                metadata.append(
                    TorchMetadataEntry(path: "bytes[\(offset)...]", kind: .object, summary: "not a pickle: \(error)"))
                break
            }
            for global in result.globals where !globals.contains(global) { globals.append(global) }
            let interpreter = TorchInterpreter(heap: result.heap)
            metadata.append(
                TorchMetadataEntry(path: "pickle[\(index)]", kind: .object, summary: interpreter.summary(result.root)))
            offset = result.endOffset
            index += 1
        }
        return ModelInspection(
            format: .pickle, formatVersion: nil, tensors: [], globals: globals, metadata: metadata, sharedStorages: [],
            diagnostics: [], isPureTensorData: false)
    }

    init(
        format: ModelFileFormat, formatVersion: String?, tensors: [Tensor], globals: [GlobalReference],
        metadata: [TorchMetadataEntry], sharedStorages: [[String]], diagnostics: [ZipDiagnostic], isPureTensorData: Bool
    ) {
        self.format = format
        self.formatVersion = formatVersion
        self.tensors = tensors
        self.globals = globals
        self.metadata = metadata
        self.sharedStorages = sharedStorages
        self.diagnostics = diagnostics
        self.isPureTensorData = isPureTensorData
    }

    init(checkpoint: TorchCheckpoint) {
        let tensors = checkpoint.tensors.map {
            Tensor(
                name: $0.name, dtype: $0.dtype.rawValue, shape: $0.shape, elements: $0.elementCount,
                bytes: $0.byteCount,
                storage: $0.storageKey, storageOffset: $0.storageOffset, strides: $0.strides,
                quantization: $0.quantization)
        }
        let format: ModelFileFormat = checkpoint.format == .legacy ? .pytorchLegacy : .pytorchZip
        self.init(
            format: format, formatVersion: checkpoint.formatVersion, tensors: tensors,
            globals: checkpoint.pickle.globals, metadata: checkpoint.metadata,
            sharedStorages: checkpoint.sharedStorageGroups, diagnostics: checkpoint.zipDiagnostics,
            isPureTensorData: checkpoint.isPureTensorData)
    }

    init(arrays: [(String, NpyArray)], format: ModelFileFormat, diagnostics: [ZipDiagnostic]) {
        var tensors: [Tensor] = []
        var globals: [GlobalReference] = []
        var metadata: [TorchMetadataEntry] = []
        for (name, array) in arrays {
            if let pickle = array.pickle {
                for global in pickle.globals where !globals.contains(global) { globals.append(global) }
                metadata.append(
                    TorchMetadataEntry(
                        path: name, kind: .object, summary: "object array (pickle of \(array.dataRange.count) bytes)"))
            } else {
                tensors.append(
                    Tensor(
                        name: name, dtype: array.dtype?.rawValue ?? array.descriptor, shape: array.shape,
                        elements: array.elementCount, bytes: array.dataRange.count, storage: nil, storageOffset: nil,
                        strides: nil))
            }
        }
        self.init(
            format: format, formatVersion: arrays.first.map { "\($0.1.formatVersion).0" }, tensors: tensors,
            globals: globals, metadata: metadata, sharedStorages: [], diagnostics: diagnostics,
            isPureTensorData: metadata.isEmpty)
    }
}
